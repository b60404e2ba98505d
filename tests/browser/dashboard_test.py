#!/usr/bin/python3
"""The dashboard in a real browser (Debian's headless Chromium through python3-selenium).

Builds the demo ledger with the fundtrail binary, starts `fundtrail serve` on 127.0.0.1 (a free
port), checks the assets over plain HTTP (types, ETag, the Content-Security-Policy, 404 for
unknown and traversing paths), then signs in in the browser with the demo's key files and compares
the figures on each page with what `fundtrail ... --json` prints for the same ledger. A member's
finance key must not see another member's rows; a wrong key file, an unregistered key and a
revoked key are refused with a clear message. One browser session for everything; screenshots of
each page go to OUT_DIR/*.png.

usage: dashboard_test.py FUNDTRAIL_BINARY SOURCE_DIR OUT_DIR [--with-read-api]
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

FUNDTRAIL, SOURCE, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
# The signed-in pages (sign-in, every page against the CLI, a member's finance key): ctest runs
# them (the read API of issue 15 is merged); without the flag only the checks that need no token.
WITH_READ_API = '--with-read-api' in sys.argv[4:]
EXAMPLES = os.path.join(SOURCE, 'examples', 'power-battery')
KEYS = os.path.join(EXAMPLES, 'keys')
# A guard against a hang, never an assertion on time.
WAIT_SECONDS = 60

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print('FAIL: ' + message, flush=True)


def run(*args):
    done = subprocess.run([FUNDTRAIL, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'fundtrail {" ".join(args)}: exit {done.returncode}: {done.stderr}')
    return done.stdout


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def group(amount):
    """'-16788.49 CNY' -> '-16,788.49 CNY', written independently of web/format.js."""
    number, _, currency = amount.partition(' ')
    sign = '-' if number.startswith('-') else ''
    whole, _, fraction = number.lstrip('-').partition('.')
    parts = []
    while len(whole) > 3:
        parts.insert(0, whole[-3:])
        whole = whole[:-3]
    parts.insert(0, whole)
    text = sign + ','.join(parts) + ('.' + fraction if fraction else '')
    return text + (' ' + currency if currency else '')


class Server:
    def __init__(self, ledger, log_path):
        self.log = open(log_path, 'ab')
        self.process = subprocess.Popen([FUNDTRAIL, 'serve', '--ledger', ledger, '--listen', '127.0.0.1:0',
                                         '--operator-key', os.path.join(KEYS, 'operator.pem')],
                                        stdout=subprocess.PIPE, stderr=self.log)
        line = self.process.stdout.readline().decode()
        prefix = 'listening on http://127.0.0.1:'
        if not line.startswith(prefix):
            self.process.kill()
            raise RuntimeError(f'fundtrail serve did not start: {line!r}; log: {open(log_path).read()}')
        self.port = int(line[len(prefix):].strip())
        self.url = f'http://127.0.0.1:{self.port}'

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=WAIT_SECONDS)
        self.log.close()


def http_get(port, path, headers=None):
    connection = http.client.HTTPConnection('127.0.0.1', port, timeout=WAIT_SECONDS)
    connection.request('GET', path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def raw_request(port, target):
    """A request line sent as is (http.client would normalise nothing, but be explicit)."""
    with socket.create_connection(('127.0.0.1', port), timeout=WAIT_SECONDS) as connection:
        connection.sendall(f'GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'.encode())
        data = b''
        while chunk := connection.recv(65536):
            data += chunk
    return int(data.split(b' ', 2)[1])


def check_assets(port):
    status, headers, body = http_get(port, '/')
    check(status == 200, f'GET / answered {status}')
    check(headers.get('content-type') == 'text/html; charset=utf-8', f'GET / type {headers.get("content-type")}')
    policy = headers.get('content-security-policy', '')
    check("script-src 'self'" in policy and 'unsafe-inline' not in policy, f'GET / policy {policy!r}')
    check(headers.get('x-content-type-options') == 'nosniff', 'GET / without nosniff')
    check(b'<script type="module" src="/assets/app.js">' in body, 'the page does not load app.js')
    status, headers, body = http_get(port, '/assets/vendor/chart.min.js')
    check(status == 200 and b'Chart.js v3.9.1' in body[:300], f'Chart.js: {status}')
    check(headers.get('content-type') == 'text/javascript; charset=utf-8', f'chart.min.js type {headers}')
    status, headers, _ = http_get(port, '/assets/style.css')
    check(status == 200 and headers.get('content-type') == 'text/css; charset=utf-8', f'style.css {status} {headers}')
    etag = headers.get('etag', '')
    check(headers.get('cache-control') == 'no-cache' and len(etag) == 34, f'style.css cache headers {headers}')
    status, _, body = http_get(port, '/assets/style.css', {'If-None-Match': etag})
    check(status == 304 and body == b'', f'If-None-Match: {status}, {len(body)} bytes')
    for target in ['/assets/nope.js', '/assets/../CMakeLists.txt', '/assets/%2e%2e/CMakeLists.txt',
                   '/assets/..%2f..%2fCMakeLists.txt', '/assets//etc/passwd', '/index.html', '/assets/']:
        status = raw_request(port, target)
        check(status == 404, f'GET {target} answered {status}, not 404')


class Browser:
    def __init__(self, url):
        options = webdriver.ChromeOptions()
        options.binary_location = '/usr/bin/chromium'
        for argument in ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                         '--window-size=1400,1000', '--lang=zh-CN', '--force-device-scale-factor=1']:
            options.add_argument(argument)
        self.driver = webdriver.Chrome(service=Service('/usr/bin/chromedriver'), options=options)
        self.url = url

    def wait(self, condition, what):
        try:
            return WebDriverWait(self.driver, WAIT_SECONDS).until(lambda driver: condition(driver))
        except Exception:
            raise RuntimeError(f'waiting for {what}: page says {self.text("body")[:500]!r}; '
                               f'console: {self.driver.get_log("browser")}')

    def text(self, selector):
        elements = self.driver.find_elements(By.CSS_SELECTOR, selector)
        return elements[0].text if elements else ''

    def open(self):
        self.driver.get(self.url + '/')
        self.wait(lambda d: d.execute_script('return document.body.dataset.loaded') == 'true', 'the page to load')

    def sign_in(self, key_path):
        self.open()
        self.driver.find_element(By.ID, 'key-file').send_keys(key_path)
        self.driver.find_element(By.ID, 'signin-button').click()

    def sign_in_message(self):
        return self.wait(lambda d: (lambda text: text if text and '…' not in text and '...' not in text else None)(
            d.find_element(By.ID, 'signin-message').text), 'a sign-in message')

    def go(self, route):
        before = self.driver.execute_script('return document.getElementById("main").dataset.ready || ""')
        self.driver.execute_script('location.hash = arguments[0]', route)
        self.wait(lambda d: d.execute_script('return document.getElementById("main").dataset.ready || ""') != before,
                  f'page {route}')
        self.wait(lambda d: d.execute_script('return !document.querySelector(".loading")'), f'page {route} loaded')

    def table(self, name):
        """The rows of a data table as lists of cell texts."""
        return self.driver.execute_script('''
            const table = document.querySelector(`[data-test="${arguments[0]}"] table`);
            if (!table) return null;
            return [...table.tBodies[0].rows].map((row) => [...row.cells].map((cell) => cell.textContent));''', name)

    def headers(self, name):
        return self.driver.execute_script('''
            const table = document.querySelector(`[data-test="${arguments[0]}"] table`);
            return table ? [...table.tHead.rows[0].cells].map((cell) => cell.textContent.replace(/ [▲▼]$/, '')) : null;''',
                                          name)

    def figure(self, key):
        return self.driver.execute_script(
            'const e = document.querySelector(`[data-figure="${arguments[0]}"] dd`); return e ? e.textContent : null;',
            key)

    def screenshot(self, name):
        os.makedirs(OUT, exist_ok=True)
        self.driver.execute_script('window.scrollTo(0, 0)')
        height = self.driver.execute_script('return Math.min(document.body.scrollHeight, 4000)')
        self.driver.set_window_size(1400, max(1000, height))
        self.driver.save_screenshot(os.path.join(OUT, name + '.png'))
        self.driver.set_window_size(1400, 1000)


def column(browser, table, label):
    return browser.headers(table).index(label)


def main():
    work = tempfile.mkdtemp(prefix='fundtrail-dashboard-')
    ledger = os.path.join(work, 'L')
    run('demo', '--ledger', ledger, '--examples', EXAMPLES)
    grants = json_lines(run('view', 'grants', '--ledger', ledger, '--json'))
    members = json_lines(run('view', 'members', '--ledger', ledger, '--json'))
    flags = json_lines(run('flags', '--ledger', ledger, '--json'))
    server = Server(ledger, os.path.join(work, 'serve.log'))
    browser = None
    try:
        check_assets(server.port)
        browser = Browser(server.url)
        check_modules(browser)
        check_wrong_key_files(browser, work)
        check_public_verification(browser, ledger)
        check_consistency_proofs(browser, ledger, server.url, work)
        if WITH_READ_API:
            check_sign_in_refusals(browser, work)
            check_auditor_pages(browser, ledger, grants, members, flags)
            check_member_finance(browser, members)
    finally:
        if browser:
            browser.driver.quit()
        server.stop()
    if failures:
        print(f'{len(failures)} checks failed; the server log: {os.path.join(work, "serve.log")}')
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print('all dashboard checks passed; screenshots in ' + OUT)
    return 0


def check_wrong_key_files(browser, work):
    """Files that are no Ed25519 private key are refused in the browser, before the server is asked."""
    browser.open()
    check('fundtrail-verify' in browser.text('#signin'), 'the sign-in page does not point to fundtrail-verify')
    browser.screenshot('signin')
    browser.sign_in(os.path.join(KEYS, 'auditor.pem.pub'))
    message = browser.sign_in_message()
    check('PRIVATE KEY' in message and '.pub' in message, f'a .pub key file: {message!r}')
    browser.screenshot('signin-wrong-key')
    # A PKCS#8 key of another algorithm (P-256): the browser cannot import it as Ed25519.
    other = os.path.join(work, 'p256.pem')
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', other],
                   check=True, capture_output=True)
    browser.sign_in(other)
    message = browser.sign_in_message()
    check('不是 Ed25519 私钥' in message, f'a P-256 key file: {message!r}')


def check_public_verification(browser, ledger):
    """The verification page needs no sign-in: the head as the CLI prints it, kept in the
    browser, then the same head, a head of the same size with another root (a split view) and a
    shorter log, each said plainly."""
    head = json.loads(run('head', '--ledger', ledger, '--json'))
    browser.open()
    browser.go('#/verify')
    check(browser.figure('tree_size') == f'{head["tree_size"]:,}', f'verify: tree size {browser.figure("tree_size")!r}')
    check(browser.figure('root') == head['root_hash'], f'verify: root {browser.figure("root")!r}')
    check(browser.figure('ledger_id') == head['ledger_id'], f'verify: ledger id {browser.figure("ledger_id")!r}')
    check('第一次' in browser.text('[data-test="consistency"]'), f'verify, first: {browser.text("[data-test=consistency]")!r}')
    browser.open()  # signed out, only the verification page shows: a new load of it
    browser.go('#/verify')
    check('一致' in browser.text('[data-test="consistency"]'), f'verify, again: {browser.text("[data-test=consistency]")!r}')
    # The head's signature, with the operator key the user holds (and another key).
    for key_file, expected in [('auditor.pem.pub', '签名无效'), ('operator.pem.pub', '签名有效')]:
        with open(os.path.join(KEYS, key_file)) as source:
            pem = source.read()
        field = browser.driver.find_element(By.CSS_SELECTOR, '[data-test="operator-key"]')
        field.clear()
        field.send_keys(pem)
        browser.driver.find_element(By.CSS_SELECTOR, '[data-test="check-signature"]').click()
        shown = browser.wait(lambda d: (lambda text: text if expected in text else None)(
            d.find_element(By.CSS_SELECTOR, '[data-test="signature"]').text), f'the signature with {key_file}')
        check(expected in shown, f'head signature with {key_file}: {shown!r}')
    browser.screenshot('verify')
    key = f'fundtrail.head.{head["ledger_id"]}'
    kept = browser.driver.execute_script('return localStorage.getItem(arguments[0])', key)
    check(kept and json.loads(kept)['root_hash'] == head['root_hash'], f'the head kept in the browser: {kept}')
    for saved, expected, what in [
            ({'tree_size': head['tree_size'], 'root_hash': '00' * 32}, '两种不同的历史', 'another root, same size'),
            ({'tree_size': head['tree_size'] + 5, 'root_hash': head['root_hash']}, '历史被截断', 'a shorter log')]:
        browser.driver.execute_script('localStorage.setItem(arguments[0], arguments[1])', key, json.dumps(saved))
        browser.open()
        browser.go('#/verify')
        status = browser.text('[data-test="consistency"]')
        check(expected in status, f'verify after {what}: {status!r}')
        check(json.loads(browser.driver.execute_script('return localStorage.getItem(arguments[0])', key)) == saved,
              f'verify after {what}: the head kept was replaced')
    browser.screenshot('verify-split')
    browser.driver.execute_script('localStorage.removeItem(arguments[0])', key)


def check_consistency_proofs(browser, ledger, url, work):
    """The page's RFC 9162 consistency check (web/verify.js) against proofs that `fundtrail prove`
    writes as the log grows through the server, and damaged copies of them, each to be refused."""
    operator = os.path.join(KEYS, 'operator.pem')
    heads = []
    for index, count in enumerate([0, 1, 3]):  # heads at N, N+1 and N+4 events, then N+6
        for number in range(count):
            finding = os.path.join(work, f'finding-{index}-{number}.jsonl')
            with open(finding, 'w') as out:
                out.write(json.dumps({'type': 'finding_recorded', 'finding_id': f'FND-PROOF-{index}-{number}',
                                      'subject': 'grant:JS-BE2025099', 'severity': 'low', 'text': '一致性证明测试'},
                                     ensure_ascii=False) + '\n')
            run('append', '--server', url, '--key', os.path.join(KEYS, 'auditor.pem'), finding)
        path = os.path.join(work, f'head-{index}.json')
        run('head', '--ledger', ledger, '--sign-key', operator, '--out', path)
        heads.append(path)
    for number in range(2):
        finding = os.path.join(work, f'finding-last-{number}.jsonl')
        with open(finding, 'w') as out:
            out.write(json.dumps({'type': 'finding_recorded', 'finding_id': f'FND-PROOF-LAST-{number}',
                                  'subject': 'grant:JS-BE2025099', 'severity': 'low', 'text': '一致性证明测试'},
                                 ensure_ascii=False) + '\n')
        run('append', '--server', url, '--key', os.path.join(KEYS, 'auditor.pem'), finding)
    proofs = []
    for index, head in enumerate(heads):
        path = os.path.join(work, f'proof-{index}.json')
        run('prove', '--ledger', ledger, '--from-head', head, '--sign-key', operator, '--out', path)
        with open(path) as source:
            proofs.append(json.load(source))
    cases = []
    for proof in proofs:
        cases.append((proof, True, f'{proof["old_size"]} -> {proof["new_size"]}'))
        hashes = proof['hashes']
        for i in range(len(hashes)):
            flipped = hashes[:i] + [('0' if hashes[i][0] != '0' else '1') + hashes[i][1:]] + hashes[i + 1:]
            cases.append(({**proof, 'hashes': flipped}, False, f'hash {i} changed'))
        cases.append(({**proof, 'hashes': hashes[:-1]}, False, 'last hash dropped'))
        cases.append(({**proof, 'hashes': hashes + [hashes[0]]}, False, 'a hash added'))
        cases.append(({**proof, 'old_root': proof['new_root'], 'new_root': proof['old_root']}, False, 'roots swapped'))
        cases.append(({**proof, 'old_size': proof['old_size'] - 1}, False, 'old size one less'))
        # (Not the new size: the RFC 9162 walk accepts a proof for sizes that share its path, as
        # the reference does; a size is bound to its root by the signed head, not by the proof.)
        cases.append(({**proof, 'new_root': ('0' if proof['new_root'][0] != '0' else '1') + proof['new_root'][1:]},
                      False, 'new root changed'))
    results = browser.driver.execute_async_script('''
        const [cases, done] = [arguments[0], arguments[arguments.length - 1]];
        Promise.all([import('/assets/verify.js'), import('/assets/auth.js')]).then(async ([verify, auth]) => {
          const out = [];
          for (const proof of cases) {
            out.push(await verify.verifyConsistency(proof.old_size, proof.new_size, auth.unhex(proof.old_root),
              auth.unhex(proof.new_root), proof.hashes.map(auth.unhex)));
          }
          done(out);
        }, (error) => done(String(error)));''', [case[0] for case in cases])
    check(isinstance(results, list), f'verifyConsistency: {results}')
    for (proof, expected, what), result in zip(cases, results if isinstance(results, list) else []):
        check(result is expected, f'consistency {proof["old_size"]} -> {proof["new_size"]}, {what}: {result}, want {expected}')
    print(f'{len(cases)} consistency proofs checked in the browser', flush=True)


def check_sign_in_refusals(browser, work):
    # A key the ledger never registered: the server refuses it.
    stranger = os.path.join(work, 'stranger.pem')
    run('keygen', '--out', stranger)
    browser.sign_in(stranger)
    message = browser.sign_in_message()
    check('服务器拒绝了此密钥' in message, f'an unregistered key: {message!r}')
    # A revoked key (the demo revokes the withdrawn member's finance key).
    browser.sign_in(os.path.join(KEYS, 'finance-liyuan.pem'))
    message = browser.sign_in_message()
    check('服务器拒绝了此密钥' in message and 'revoked' in message, f'a revoked key: {message!r}')


def check_modules(browser):
    """The page's own modules, in the browser: amounts from minor units, CSV, the label table."""
    browser.open()
    result = browser.driver.execute_async_script('''
        const done = arguments[arguments.length - 1];
        Promise.all([import('/assets/format.js'), import('/assets/table.js'), import('/assets/i18n.js')])
          .then(([format, table, i18n]) => done({
            minor: [format.formatMinor('-1678849', 'CNY'), format.formatMinor('5', 'CNY'),
                    format.formatMinor('123456789012345678901', 'CNY'), format.formatMinor(100000n, 'JPY')],
            amount: [format.formatAmount('5000000.00 CNY'), format.formatAmount('-999.50 CNY'),
                     format.formatAmount('0.07 CNY'), format.formatAmount('n/a')],
            sum: String(format.amountMinor('12345678901234567.89 CNY') + format.amountMinor('0.11 CNY')),
            csv: table.csvText([{key: 'a', label: '名称'}, {key: 'b', label: 'b'}],
                               [{a: '甲,乙', b: 'say "hi"'}], (c, r) => r[c.key]),
            missing: [Object.keys(i18n.LABELS['zh-CN']).filter((k) => !(k in i18n.LABELS.en)),
                      Object.keys(i18n.LABELS.en).filter((k) => !(k in i18n.LABELS['zh-CN']))],
          }), (error) => done({error: String(error)}));''')
    check('error' not in result, f'importing the modules: {result}')
    check(result.get('minor') == ['-16,788.49 CNY', '0.05 CNY', '1,234,567,890,123,456,789.01 CNY', '100,000 JPY'],
          f'formatMinor: {result.get("minor")}')
    check(result.get('amount') == ['5,000,000.00 CNY', '-999.50 CNY', '0.07 CNY', 'n/a'],
          f'formatAmount: {result.get("amount")}')
    check(result.get('sum') == '1234567890123456800', f'amountMinor sums exactly: {result.get("sum")}')
    check(result.get('csv') == '\ufeff名称,b\r\n"甲,乙","say ""hi"""\r\n', f'CSV: {result.get("csv")!r}')
    check(result.get('missing') == [[], []], f'labels in one language only: {result.get("missing")}')
    # XLSX: a real ZIP of Office Open XML parts; an amount is a numeric cell of exact digits.
    data = browser.driver.execute_async_script('''
        const done = arguments[arguments.length - 1];
        import('/assets/xlsx.js').then(async (xlsx) => {
          const blob = xlsx.xlsxBlob('经费', ['名称', '金额'], [['东海理工大学 <&>', '-12345678901234567.89 CNY']]);
          done(Array.from(new Uint8Array(await blob.arrayBuffer())));
        }, (error) => done(String(error)));''')
    check(isinstance(data, list), f'xlsx: {data}')
    if isinstance(data, list):
        import io
        import zipfile
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as workbook:
            check(workbook.testzip() is None, 'xlsx: a bad CRC')
            sheet = workbook.read('xl/worksheets/sheet1.xml').decode()
            check('<c r="B2" s="1"><v>-12345678901234567.89</v></c>' in sheet, f'xlsx amount cell: {sheet}')
            check('东海理工大学 &lt;&amp;&gt;' in sheet, f'xlsx string cell: {sheet}')
            check('numFmtId="4"' in workbook.read('xl/styles.xml').decode(), 'xlsx: no #,##0.00 style')


def check_auditor_pages(browser, ledger, grants, members, flags):
    browser.sign_in(os.path.join(KEYS, 'auditor.pem'))
    browser.wait(lambda d: d.execute_script('return document.getElementById("main").dataset.ready'), 'the overview')
    browser.wait(lambda d: d.execute_script('return !document.querySelector(".loading")'), 'the overview loaded')
    check('已登录' in browser.text('[data-test="who"]'), 'the page does not say who is signed in')

    # Overview: every grant's figures, and the flags by severity.
    rows = browser.table('grants')
    check(rows is not None and len(rows) == len(grants), f'overview: {rows and len(rows)} grants, CLI {len(grants)}')
    for grant in grants:
        row = next((r for r in rows or [] if r[0] == grant['grant_id']), None)
        check(row is not None, f'overview: grant {grant["grant_id"]} missing')
        if row is None:
            continue
        for field, label in [('awarded', '批准'), ('received', '到账'), ('disbursed', '拨付'), ('spent', '支出'),
                             ('available', '可用')]:
            shown = row[column(browser, 'grants', label)]
            check(shown == group(grant[field]), f'overview {grant["grant_id"]} {field}: {shown!r}, CLI {grant[field]!r}')
    for severity, label in [('critical', '严重'), ('high', '高'), ('medium', '中'), ('low', '低')]:
        shown = browser.figure(f'flags.{severity}')
        expected = sum(1 for flag in flags if flag['severity'] == severity)
        check(shown == f'{expected:,}', f'overview: {severity} flags {shown!r}, CLI {expected}')
    browser.screenshot('overview')

    # One grant: its figures, budget against actual, its members, its history.
    grant = max(grants, key=lambda g: len(g['budget']))
    browser.go('#/grant/' + grant['grant_id'])
    for field in ['awarded', 'received', 'disbursed', 'spent', 'refunded', 'available']:
        check(browser.figure(field) == group(grant[field]),
              f'grant {grant["grant_id"]} {field}: {browser.figure(field)!r}, CLI {grant[field]!r}')
    budget = browser.table('budget')
    check(len(budget) == len(grant['budget']), f'grant budget lines: {len(budget)}, CLI {len(grant["budget"])}')
    for shown, line in zip(budget, grant['budget']):
        check(shown[1:] == [group(line['budget']), group(line['spent']), group(line['remaining'])],
              f'grant budget line {line["category"]}: {shown}, CLI {line}')
    chart = browser.driver.execute_script(
        'const c = Chart.getChart(document.querySelector("[data-test=budget-chart]")); return c && c.data.datasets[1].data;')
    check(chart is not None and [str(v) for v in chart] ==
          [line['spent'].split()[0].replace('.', '').lstrip('0') or '0' for line in grant['budget']],
          f'the budget chart\'s spent bars: {chart}')
    shown_members = browser.table('grant-members')
    expected_members = [(m['org_id'], g) for m in members for g in m['grants'] if g['grant_id'] == grant['grant_id']]
    check(len(shown_members) == len(expected_members),
          f'grant members: {len(shown_members)} rows, CLI {len(expected_members)}')
    for org_id, line in expected_members:
        row = next((r for r in shown_members if org_id in r[0]), None)
        check(row is not None and row[1:] == [group(line[k]) for k in ['received', 'spent', 'refunded', 'unspent']],
              f'grant member {org_id}: {row}, CLI {line}')
    history = json_lines(run('history', 'grant', grant['grant_id'], '--ledger', ledger, '--json'))
    shown_history = browser.table('history-table')
    check(shown_history and shown_history[0][0] == str(history[0]['sequence']),
          f'history first row {shown_history and shown_history[0]}, CLI {history[0]["sequence"]}')
    last_shown = shown_history[-1] if shown_history else None
    cli_row = next((h for h in history if last_shown and str(h['sequence']) == last_shown[0]), None)
    check(cli_row is not None and last_shown[column(browser, 'history-table', '可用')] == group(cli_row['available']),
          f'history running balance {last_shown}, CLI {cli_row}')
    browser.screenshot('grant')

    # One member.
    member = members[0]
    browser.go('#/member/' + member['org_id'])
    rows = browser.table('member-grants')
    check(len(rows) == len(member['grants']), f'member grants: {len(rows)}, CLI {len(member["grants"])}')
    for line in member['grants']:
        row = next((r for r in rows if r[0] == line['grant_id']), None)
        check(row is not None and row[1:] == [group(line[k]) for k in ['received', 'spent', 'refunded', 'unspent']],
              f'member {member["org_id"]} grant {line["grant_id"]}: {row}, CLI {line}')
    check(member['name'] in browser.text('main h1'), f'member page title {browser.text("main h1")!r}')
    browser.screenshot('member')

    # Flags, and a filter.
    browser.go('#/flags')
    rows = browser.table('flags-table')
    check(len(rows) == len(flags), f'flags: {len(rows)} rows, CLI {len(flags)}')
    check(sorted(r[0] for r in rows) == sorted(f['id'] for f in flags), 'flags: other ids than the CLI\'s')
    browser.screenshot('flags')
    browser.go('#/flags?severity=high')
    rows = browser.table('flags-table')
    high = [f for f in flags if f['severity'] == 'high']
    check(len(rows) == len(high), f'flags of high severity: {len(rows)}, CLI {len(high)}')

    # Outcomes: each one's revenue total, and what each owner was paid, summed from the CLI's
    # integer minor units.
    outcomes = json_lines(run('view', 'outcomes', '--ledger', ledger, '--json'))
    browser.go('#/outcomes')
    rows = browser.table('outcomes')
    check(len(rows) == len(outcomes), f'outcomes: {len(rows)}, CLI {len(outcomes)}')
    for outcome in outcomes:
        row = next((r for r in rows if r[0] == outcome['outcome_id']), None)
        check(row is not None and row[-1] == group(outcome['revenue_total']),
              f'outcome {outcome["outcome_id"]} revenue: {row}, CLI {outcome["revenue_total"]}')
        paid = {}
        for distribution in outcome['revenue']:
            for payment in distribution['payments']:
                paid[payment['org_id']] = paid.get(payment['org_id'], 0) + payment['amount']
        shown = browser.table('revenue-table-' + outcome['outcome_id']) or []
        for org_id, minor in paid.items():
            line = next((r for r in shown if org_id in r[0]), None)
            expected = group(f'{minor // 100}.{minor % 100:02d} CNY')
            check(line is not None and line[2] == expected, f'outcome {outcome["outcome_id"]} paid to {org_id}: {line}, CLI {expected}')
    browser.screenshot('outcomes')

    # Verification: the head, first seen, then the same.
    head = json.loads(run('head', '--ledger', ledger, '--json'))
    browser.go('#/verify')
    check(browser.figure('tree_size') == f'{head["tree_size"]:,}', f'verify: tree size {browser.figure("tree_size")}')
    check(browser.figure('root') == head['root_hash'], f'verify: root {browser.figure("root")}')
    browser.go('#/overview')
    browser.go('#/verify')
    check('一致' in browser.text('[data-test="consistency"]'), f'verify again: {browser.text("[data-test=consistency]")!r}')
    browser.screenshot('verify')
    # The log grows (an auditor's finding, appended through the server): the page checks the
    # consistency proof from the head it kept to the new one, in the browser.
    finding = os.path.join(os.path.dirname(ledger), 'finding.jsonl')
    with open(finding, 'w') as out:
        out.write(json.dumps({'type': 'finding_recorded', 'finding_id': 'FND-BROWSER-1',
                              'subject': 'grant:' + grant['grant_id'], 'severity': 'low',
                              'text': '浏览器测试：账本增长'}, ensure_ascii=False) + '\n')
    run('append', '--server', browser.url, '--key', os.path.join(KEYS, 'auditor.pem'), finding)
    browser.go('#/overview')
    browser.go('#/verify')
    status = browser.text('[data-test="consistency"]')
    check('增长了 1 个事件' in status, f'verify after one append: {status!r}')
    check(browser.figure('previous_tree_size') == f'{head["tree_size"]:,}',
          f'verify: the head kept {browser.figure("previous_tree_size")!r}, was {head["tree_size"]}')

    # English: the labels switch, the figures stay.
    browser.driver.find_element(By.ID, 'lang').click()
    browser.go('#/overview')
    check('Overview' in browser.text('#nav'), f'English navigation: {browser.text("#nav")!r}')
    check(browser.headers('grants')[4] == 'Awarded', f'English headers: {browser.headers("grants")}')
    browser.screenshot('overview-en')
    browser.driver.find_element(By.ID, 'lang').click()


def check_member_finance(browser, members):
    """A member's finance key sees its own organisation's rows and no other member's."""
    own = '91320400MA1MX8K676'  # finance-liqing.pem's organisation
    browser.sign_in(os.path.join(KEYS, 'finance-liqing.pem'))
    browser.wait(lambda d: d.execute_script('return document.getElementById("main").dataset.ready'), 'signed in')
    grant_id = next(g['grant_id'] for m in members if m['org_id'] == own for g in m['grants'])
    browser.go('#/grant/' + grant_id)
    rows = browser.table('grant-members') or []
    others = [r for r in rows if own not in r[0]]
    check(rows and not others, f'a finance key sees other members\' rows: {others}')
    other = next(m['org_id'] for m in members if m['org_id'] != own)
    browser.go('#/member/' + other)
    check(not browser.table('member-grants'), f'a finance key sees member {other}\'s grants')
    browser.screenshot('member-finance')


if __name__ == '__main__':
    try:
        sys.exit(main())
    except Exception:
        traceback.print_exc()
        sys.exit(1)
