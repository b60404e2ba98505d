#!/usr/bin/env bash
# Regenerates the seed files of tests/fuzz/corpus/ that the CLI makes (heads, co-signed heads,
# witness policies, inclusion and consistency proofs, bundles) from the demo ledger, and those
# taken from the golden vectors (events, submissions, JSON Lines). The examples' JSON Lines
# (examples/power-battery/steps/) are copied as they are.
#
#   tests/fuzz/make-corpus.sh [FUNDTRAIL]     (the fundtrail binary; default build/tools/fundtrail)
#
# The files differ from run to run (times, signatures); commit them only when a format changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
fundtrail=$(realpath "${1:-build/tools/fundtrail}")
corpus="$root/tests/fuzz/corpus"
keys="$root/examples/power-battery/keys"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$root/tests/vectors/format-v1.json" "$corpus" <<'PYTHON'
import json, os, sys
vectors, corpus = json.load(open(sys.argv[1])), sys.argv[2]
for target in ("event", "submission", "json_lines"):
    os.makedirs(os.path.join(corpus, target), exist_ok=True)
for submission in vectors["submissions"]:
    first = submission["first_sequence"]
    for kind, field in (("submission", "submission_canonical"), ("body", "body_canonical")):
        with open(f"{corpus}/submission/vector-{kind}-{first:02d}", "wb") as out:
            out.write(bytes.fromhex(submission[field]))
    lines = []
    for event in submission["events"]:
        with open(f"{corpus}/event/vector-event-{event['sequence']:02d}", "wb") as out:
            out.write(bytes.fromhex(event["canonical"]))
        lines.append(json.dumps(event["json"], ensure_ascii=False))
    with open(f"{corpus}/json_lines/vector-submission-{first:02d}.jsonl", "w") as out:
        out.write("\n".join(lines) + "\n")
PYTHON
for file in "$root"/examples/power-battery/steps/*.jsonl; do
  [ "$(stat -c %s "$file")" -lt 4000 ] && cp "$file" "$corpus/json_lines/example-$(basename "$file")"
done

cd "$work"
"$fundtrail" demo --ledger L >/dev/null
mkdir -p "$corpus"/{tree_head,witness_policy,inclusion_proof,consistency_proof,bundle}
cp L/head.json old-head.json
# One more event, so that there is a larger head to prove consistent with the demo's.
echo '{"type": "vendor_registered", "vendor_id": "V-FUZZ", "name": "测试供应商有限公司", "tax_id": "91320100MA1XYZ0001", "legal_representative": "王敏", "registered_date": "2020-01-02"}' >more.jsonl
"$fundtrail" append --ledger L --key "$keys/secretariat.pem" more.jsonl >/dev/null
"$fundtrail" head --ledger L --sign-key "$keys/operator.pem" --out new-head.json >/dev/null
"$fundtrail" prove --ledger L --from-head old-head.json --head new-head.json --out consistency.json >/dev/null
"$fundtrail" prove --ledger L --seq 3 --head new-head.json --out inclusion-3.json >/dev/null
cp L/proof-*.json inclusion-demo.json
size=$(python3 -c 'import json,sys; print(json.load(open("new-head.json"))["tree_size"])')
"$fundtrail" export --ledger L --from-seq "$size" --to-seq "$size" --head new-head.json --out last.bundle >/dev/null
"$fundtrail" export --ledger L --from-seq 20 --to-seq 24 --head new-head.json --out middle.bundle >/dev/null
"$fundtrail" keygen --out witness-a.pem >/dev/null
"$fundtrail" keygen --out witness-b.pem >/dev/null
"$fundtrail" witness cosign --key witness-a.pem --state state-a --ledger L --name "审计署 audit office" \
  --out cosigned.json new-head.json >/dev/null
entry_a=$("$fundtrail" witness show-key witness-a.pem --name "审计署 audit office")
entry_b=$("$fundtrail" witness show-key witness-b.pem --name "监管机构 regulator")
printf '{"quorum": 1, "witnesses": [%s]}\n' "$entry_a" >policy-1.json
printf '{"quorum": 2, "witnesses": [%s, %s]}\n' "$entry_a" "$entry_b" >policy-2.json

cp old-head.json new-head.json cosigned.json "$corpus/tree_head/"
cp policy-1.json policy-2.json "$corpus/witness_policy/"
cp inclusion-3.json inclusion-demo.json "$corpus/inclusion_proof/"
cp consistency.json "$corpus/consistency_proof/"
cp last.bundle middle.bundle "$corpus/bundle/"
