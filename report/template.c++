#include "report/template.h"

namespace fundtrail::report {

const char kChartTemplate[] = R"SVG(<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{width}} {{height}}" width="{{width}}" height="{{height}}" role="img">
{{#lines}}<line x1="{{x1}}" y1="{{y1}}" x2="{{x2}}" y2="{{y2}}" class="{{class}}"/>
{{/lines}}{{#rects}}<rect x="{{x}}" y="{{y}}" width="{{width}}" height="{{height}}" class="{{class}}"/>
{{/rects}}{{#texts}}<text x="{{x}}" y="{{y}}" text-anchor="{{anchor}}" class="{{class}}">{{text}}</text>
{{/texts}}</svg>
)SVG";

const char kReportTemplate[] = R"HTML(<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="fundtrail report">
<title>{{t.document_title}} · {{cover.alliance_name}}</title>
<style>
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
html { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "DejaVu Sans", sans-serif; font-size: 10pt; color: #1d2733; line-height: 1.45; }
body { margin: 0 auto; max-width: 190mm; padding: 0 4mm; }
h1 { font-size: 22pt; margin: 0 0 6mm 0; font-weight: 700; }
h2 { font-size: 14pt; margin: 8mm 0 3mm 0; padding-bottom: 1.5mm; border-bottom: 1.5pt solid #1f4e79; color: #1f4e79; break-after: avoid; }
h3 { font-size: 11.5pt; margin: 5mm 0 2mm 0; color: #1f4e79; break-after: avoid; }
p { margin: 1.5mm 0; }
.note { color: #55606b; font-size: 8.5pt; }
code, .mono { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace; font-size: 8pt; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm 0; break-inside: auto; }
th, td { border-bottom: 0.5pt solid #c9d1d9; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #eef3f8; font-weight: 600; font-size: 9pt; }
tr { break-inside: avoid; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 700; border-top: 1pt solid #1d2733; }
.over, .negative { color: #b3261e; font-weight: 600; }
.cover { min-height: 240mm; display: flex; flex-direction: column; justify-content: center; break-after: page; }
.cover .alliance { font-size: 15pt; margin-bottom: 10mm; }
.cover table { width: auto; min-width: 60%; }
.cover th { background: none; width: 45mm; }
.kv th { width: 42mm; background: none; }
.figures { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2mm; margin: 2mm 0 3mm 0; }
.figure { border: 0.5pt solid #c9d1d9; border-radius: 1.5mm; padding: 1.8mm 2.5mm; }
.figure .label { color: #55606b; font-size: 8.5pt; }
.figure .value { font-size: 11pt; font-weight: 600; white-space: nowrap; }
.grant { break-before: page; }
.chart { display: block; width: 100%; height: auto; margin: 2mm 0; }
.chart text { font-size: 10px; fill: #1d2733; }
.chart text.legend { font-size: 11px; }
.chart text.tick { fill: #55606b; }
.chart text.over-text { fill: #b3261e; font-weight: 600; }
.chart rect.reference { fill: #c5d5e6; }
.chart rect.value { fill: #1f4e79; }
.chart rect.over { fill: #b3261e; }
.chart line.axis { stroke: #1d2733; stroke-width: 1; }
.chart line.grid { stroke: #d8dee4; stroke-width: 0.6; }
.flag { border: 0.5pt solid #c9d1d9; border-left: 3pt solid #8a96a3; border-radius: 1mm; padding: 2mm 3mm; margin: 2.5mm 0; break-inside: avoid; }
.flag.critical { border-left-color: #b3261e; }
.flag.high { border-left-color: #e07b00; }
.flag.medium { border-left-color: #c9a400; }
.flag .head { font-weight: 700; }
.badge { display: inline-block; padding: 0 1.6mm; border-radius: 1mm; font-size: 8pt; font-weight: 600; background: #e6eaee; margin-left: 1.5mm; }
.badge.critical { background: #b3261e; color: #fff; }
.badge.high { background: #e07b00; color: #fff; }
.badge.medium { background: #f2d75c; }
.flag dl { display: grid; grid-template-columns: 30mm 1fr; gap: 0.6mm 2mm; margin: 1.5mm 0 0 0; }
.flag dt { color: #55606b; font-size: 8.5pt; }
.flag dd { margin: 0; }
.evidence-list span { display: inline-block; margin-right: 3mm; }
.appendix-row td { border-bottom: none; padding-bottom: 0; }
.command-row td { padding-top: 0; }
footer { margin-top: 8mm; border-top: 0.5pt solid #c9d1d9; padding-top: 2mm; }
</style>
</head>
<body>
<section class="cover">
<h1>{{t.document_title}}</h1>
<div class="alliance">{{cover.alliance_name}} <span class="note">({{cover.alliance_id}})</span></div>
<table>
<tr><th>{{t.grants}}</th><td>{{cover.grant}}</td></tr>
<tr><th>{{t.members}}</th><td>{{cover.member}}</td></tr>
<tr><th>{{t.period}}</th><td>{{cover.period}}</td></tr>
<tr><th>{{t.as_of}}</th><td>{{t.as_of_text}} {{cover.sequence}}</td></tr>
<tr><th>{{t.head_time}}</th><td>{{cover.head_time}}</td></tr>
</table>
</section>

<section>
<h2>{{t.verification}}</h2>
<p>{{t.verification_intro}}</p>
{{#verification}}
<table class="kv">
<tr><th>{{t.ledger_id}}</th><td class="mono">{{ledger_id}}</td></tr>
<tr><th>{{t.tree_size}}</th><td>{{tree_size}}</td></tr>
<tr><th>{{t.root_hash}}</th><td class="mono">{{root_hash}}</td></tr>
<tr><th>{{t.chain_hash}}</th><td class="mono">{{chain_hash}}</td></tr>
<tr><th>{{t.operator_key}}</th><td class="mono">{{operator_key_id}}</td></tr>
<tr><th>{{t.signed_at}}</th><td>{{signed_at}}</td></tr>
</table>
<h3>{{t.witnesses}}</h3>
{{#has_witnesses}}
<table>
<tr><th>{{t.witness_name}}</th><th>{{t.key_id}}</th><th>{{t.cosigned_at}}</th></tr>
{{#witnesses}}<tr><td>{{name}}</td><td class="mono">{{key_id}}</td><td>{{time}}</td></tr>
{{/witnesses}}
</table>
{{/has_witnesses}}
{{^has_witnesses}}<p>{{t.no_witnesses}}</p>{{/has_witnesses}}
{{#has_policy}}<p>{{t.quorum}}: {{#quorum_met}}<strong>{{t.quorum_met}}</strong>{{/quorum_met}}{{^quorum_met}}<strong class="over">{{t.quorum_not_met}}</strong>{{/quorum_met}}. {{quorum_text}}</p>{{/has_policy}}
{{^has_policy}}<p class="note">{{t.quorum_unchecked}}</p>{{/has_policy}}
<p>{{t.verify_yourself}}<br><code>{{verify_command}}</code></p>
{{/verification}}
</section>

{{#grants}}
<section class="grant">
<h2>{{t.grant}} {{id}} · {{title}}</h2>
<table class="kv">
<tr><th>{{t.funder}}</th><td>{{funder}}</td></tr>
<tr><th>{{t.source_kind}}</th><td>{{source_kind}}</td></tr>
<tr><th>{{t.grant_period}}</th><td>{{period}}</td></tr>
</table>
<div class="figures">
{{#figures}}<div class="figure"><div class="label">{{label}}</div><div class="value">{{value}}</div></div>
{{/figures}}
</div>
<p class="note">{{t.figures_note}}</p>

<h3>{{t.budget_vs_actual}}</h3>
{{#budget}}
{{#chart}}{{>svg_chart}}{{/chart}}
<table>
<tr><th>{{t.category}}</th><th class="num">{{t.budget}}</th><th class="num">{{t.actual}}</th><th class="num">{{t.used}}</th><th class="num">{{t.payments}}</th></tr>
{{#rows}}<tr><td>{{category}}</td><td class="num">{{budget}}</td><td class="num{{#over}} over{{/over}}">{{actual}}</td><td class="num{{#over}} over{{/over}}">{{used}}</td><td class="num">{{payments}}</td></tr>
{{/rows}}
{{#vendor_refunds}}<tr><td>{{category}}</td><td class="num"></td><td class="num">−{{amount}}</td><td class="num"></td><td class="num">{{count}}</td></tr>
{{/vendor_refunds}}
</table>
{{/budget}}
<p class="note">{{t.budget_note}}</p>

<h3>{{t.spending_by_month}}</h3>
{{#months}}
{{#has_rows}}
{{#chart}}{{>svg_chart}}{{/chart}}
<table>
<tr><th>{{t.month}}</th><th class="num">{{t.payments}}</th><th class="num">{{t.expenditures}}</th><th class="num">{{t.vendor_refunds}}</th><th class="num">{{t.spent}}</th></tr>
{{#rows}}<tr><td>{{month}}</td><td class="num">{{payments}}</td><td class="num">{{expenditures}}</td><td class="num">{{vendor_refunds}}</td><td class="num">{{spent}}</td></tr>
{{/rows}}
{{#total}}<tr class="total"><td>{{t.total}}</td><td class="num">{{payments}}</td><td class="num">{{expenditures}}</td><td class="num">{{vendor_refunds}}</td><td class="num">{{spent}}</td></tr>{{/total}}
</table>
{{/has_rows}}
{{^has_rows}}<p>{{t.no_spending}}</p>{{/has_rows}}
{{/months}}
<p class="note">{{t.month_note}}</p>

<h3>{{t.per_member}}</h3>
{{#has_members}}
<table>
<tr><th>{{t.member}}</th><th class="num">{{t.disbursed}}</th><th class="num">{{t.spent}}</th><th class="num">{{t.refunded}}</th><th class="num">{{t.unspent}}</th>{{#has_period}}<th class="num">{{t.spent_in_period}}</th>{{/has_period}}</tr>
{{#members}}<tr><td>{{name}}<br><span class="note mono">{{org_id}}</span></td><td class="num">{{disbursed}}</td><td class="num">{{spent}}</td><td class="num">{{refunded}}</td><td class="num{{#unspent_negative}} negative{{/unspent_negative}}">{{unspent}}</td>{{#has_period}}<td class="num">{{spent_in_period}}</td>{{/has_period}}</tr>
{{/members}}
</table>
{{/has_members}}
{{^has_members}}<p>{{t.no_members}}</p>{{/has_members}}
<p class="note">{{t.member_note}}</p>
</section>
{{/grants}}

<section class="grant">
<h2>{{t.flags}}</h2>
<p>{{t.flags_intro}} ({{flags_as_of}})</p>
<table>
<tr>{{#severities}}<th class="num">{{label}}</th>{{/severities}}<th class="num">{{t.total}}</th></tr>
<tr>{{#severities}}<td class="num">{{count}}</td>{{/severities}}<td class="num">{{flag_count}}</td></tr>
</table>
{{^has_flags}}<p>{{t.no_flags}}</p>{{/has_flags}}
{{#flags}}
<div class="flag {{severity}}">
<div class="head">{{id}} · {{rule_title}}<span class="badge {{severity}}">{{severity_label}}</span><span class="badge">{{status_label}}</span></div>
<dl>
<dt>{{t.subject}}</dt><dd class="mono">{{subject}}</dd>
<dt>{{t.detects}}</dt><dd>{{detects}}</dd>
<dt>{{t.explanation}}</dt><dd>{{explanation}}</dd>
<dt>{{t.evidence}}</dt><dd class="evidence-list">{{#evidence}}<span>#{{sequence}} <code>{{hash}}</code></span> {{/evidence}}{{evidence_more}}</dd>
{{#reviews}}<dt>{{t.disposition}}</dt><dd>#{{sequence}} {{disposition}}: {{note}}</dd>{{/reviews}}
</dl>
</div>
{{/flags}}
</section>

<section>
<h2>{{t.dispositions}}</h2>
<p class="note">{{t.dispositions_intro}}</p>
{{#has_dispositions}}
<table>
<tr><th>{{t.flag}}</th><th>{{t.disposition}}</th><th>{{t.note}}</th><th class="num">{{t.sequence}}</th></tr>
{{#dispositions}}<tr><td class="mono">{{flag_id}}</td><td>{{disposition}}</td><td>{{note}}</td><td class="num">{{sequence}}</td></tr>
{{/dispositions}}
</table>
{{/has_dispositions}}
{{^has_dispositions}}<p>{{t.no_dispositions}}</p>{{/has_dispositions}}
</section>

<section class="grant">
<h2>{{t.appendix}}</h2>
<p>{{t.appendix_intro}}<br><code>fundtrail prove --ledger … --seq N --head … --out event-N.json</code><br><code>{{verify_evidence_command}}</code></p>
{{#has_evidence}}
<table>
<tr><th class="num">{{t.sequence}}</th><th>{{t.type}}</th><th>{{t.appended_at}}</th><th>{{t.author}}</th><th>{{t.cited_by}}</th></tr>
{{#evidence}}<tr class="appendix-row"><td class="num">{{sequence}}</td><td>{{type}}<br><span class="note">{{summary}}</span></td><td>{{time}}</td><td class="mono">{{author}}</td><td class="mono">{{cited_by}}</td></tr>
<tr class="command-row"><td></td><td colspan="4"><span class="note">{{t.hash}}</span> <code>{{hash}}</code><br><code>{{command}}</code></td></tr>
{{/evidence}}
</table>
{{/has_evidence}}
{{^has_evidence}}<p>{{t.no_evidence}}</p>{{/has_evidence}}
</section>

<footer class="note">{{t.footer}}</footer>
</body>
</html>
)HTML";

}  // namespace fundtrail::report
