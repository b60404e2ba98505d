#!/usr/bin/env python3
"""Writes the sample voucher exports of examples/import/ and, beside each, the same rows as the
JSON Lines that `fundtrail append` reads (*.expected.jsonl), which the tests compare the import
with. Deterministic (a seeded generator, Python 3 standard library only): a second run rewrites
every file byte for byte. Everything is invented; the organisations, grants, vendors and keys are
those of examples/power-battery (the demo ledger)."""

import csv
import io
import json
import random
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
NATIONAL = "NKRD-2024YFB9990100"
PROVINCIAL = "JS-BE2025099"

VENDORS = {  # vendor id: (name, tax id), as registered in the demo ledger
    "V-GUYUAN": ("湖南钴源新材料有限公司", "91430100MA4L2P7D3K"),
    "V-LIHUI": ("江西锂辉化工有限公司", "913609006984572395"),
    "V-SAILONG": ("上海赛隆隔膜科技有限公司", "91310000MA1G5D8Y5Y"),
    "V-TANGU": ("宁波碳谷新材料有限公司", "91330200MA2A9H3C2U"),
    "V-SHIJITONG": ("南京试剂通实验用品有限公司", "91320100793715283L"),
    "V-HUACE": ("苏州华测新能源检测技术有限公司", "91320500MA1M4K7J5B"),
    "V-BEICHEN": ("天津北辰汽车检测服务有限公司", "9112011375225381XJ"),
    "V-RUITUO": ("常州瑞拓精密设备有限公司", "91320400736529142W"),
    "V-RUIKE": ("常州锐科检测仪器有限公司", "91320400MA27Q4D37F"),
    "V-NENGTOU": ("江苏能投综合能源服务有限公司", "91320000MA1X3E6F4E"),
    "V-SHANGLV": ("常州环球商旅国际旅行社有限公司", "91320400608197729T"),
    "V-HUIWU": ("常州宏远会务服务有限公司", "91320400MA1Q7U2A7G"),
    "V-HUAZHI": ("北京华知专利代理事务所（普通合伙）", "31110000MA0C6N5R6W"),
    "V-KEWEN": ("科文学术出版服务（北京）有限公司", "91110105MA01H9T424"),
    "V-BOCAI": ("常州博才人力资源服务有限公司", "91320400MA1T9B3W5K"),
    "V-YINGCAI": ("合肥英才人力资源服务有限公司", "91340100MA2N3G8K64"),
    "V-JINGGONG": ("苏州精工模具加工有限公司", "91320500662751049N"),
}

# (category, Chinese budget name, vendors, description stems, amount range in yuan)
KINDS = [
    ("materials", "材料费", ["V-GUYUAN", "V-LIHUI", "V-SAILONG", "V-TANGU"],
     ["高镍正极材料NCM811样品", "电池级碳酸锂", "湿法隔膜试样", "硅碳负极材料", "电解液添加剂"], (8000, 160000)),
    ("materials", "材料费", ["V-SHIJITONG"], ["实验试剂及耗材", "手套箱耗材及密封件"], (1200, 18000)),
    ("testing", "测试化验加工费", ["V-HUACE", "V-BEICHEN"],
     ["电芯针刺及过充安全测试", "模组振动与冲击试验", "电池包热失控蔓延测试"], (12000, 90000)),
    ("testing", "测试化验加工费", ["V-JINGGONG"], ["电芯壳体模具加工"], (6000, 40000)),
    ("equipment", "设备费", ["V-RUITUO", "V-RUIKE"], ["电芯分容化成柜", "内阻测试仪", "卷绕机张力控制模块"], (30000, 280000)),
    ("fuel_power", "燃料动力费", ["V-NENGTOU"], ["中试线电费（{m}月）"], (9000, 42000)),
    ("travel_conference_international", "差旅费", ["V-SHANGLV"], ["赴合肥联合试验差旅费", "参加电池安全标准研讨会差旅费"], (1800, 16000)),
    ("travel_conference_international", "会议费", ["V-HUIWU"], ["课题阶段进展研讨会会务费"], (8000, 30000)),
    ("publication_ip", "出版/文献/信息传播/知识产权事务费", ["V-HUAZHI", "V-KEWEN"],
     ["发明专利申请代理费", "论文版面费"], (3000, 15000)),
    ("labour", "劳务费", ["V-BOCAI"], ["课题聘用人员劳务费（{m}月）"], (20000, 45000)),
]

PEOPLE = ["王敏", "李强", "张海峰", "孙丽娜", "周杰", "吴晓雯", "郑凯", "马骏"]


def amount(rng, low, high):
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def grouped(value):
    return f"{value:,.2f}"


def invoice(rng, prefix):
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(20 - len(prefix)))


def make_rows(rng, count, months, year, invoice_prefix, vendors_allowed=None):
    """Vouchers of one or two lines each; returns dicts in canonical field names."""
    rows = []
    voucher = rng.randint(8, 20)
    while len(rows) < count:
        month = months[len(rows) * len(months) // count]
        voucher += rng.randint(1, 4)
        lines = 1 if rng.random() < 0.7 or len(rows) == count - 1 else 2
        for line in range(1, lines + 1):
            category, budget_name, vendors, stems, (low, high) = rng.choice(KINDS)
            if vendors_allowed:
                vendors = [v for v in vendors if v in vendors_allowed] or vendors
            vendor = rng.choice(vendors)
            day = rng.randint(2, 20)
            invoice_day = max(1, day - rng.randint(0, 6))
            rows.append({
                "month": month, "voucher": voucher, "line": line, "category": category,
                "budget_name": budget_name, "vendor_id": vendor,
                "invoice_number": invoice(rng, invoice_prefix),
                "invoice_date": (year, month, invoice_day), "payment_date": (year, month, day),
                "voucher_date": (year, month, min(28, day + rng.randint(0, 5))),
                "amount": amount(rng, low, high), "requester": rng.choice(PEOPLE[:6]),
                "approver": rng.choice(PEOPLE[6:]), "description": rng.choice(stems).format(m=month),
            })
    return rows


def iso(date):
    return "%04d-%02d-%02d" % date


def expected_event(row, grant, org, source_key, reference):
    event = {
        "type": "expenditure_recorded", "grant_id": grant, "org_id": org, "category": row["category"],
        "vendor_id": row["vendor_id"], "invoice_number": row["invoice_number"],
        "invoice_date": iso(row["invoice_date"]), "payment_date": iso(row["payment_date"]),
        "amount": f"{row['amount']:.2f} CNY", "requester": row["requester"], "approver": row["approver"],
        "description": row["description"], "voucher_date": iso(row["voucher_date"]),
    }
    if reference:
        event["reference"] = reference
    event["source_key"] = source_key
    return event


def write_csv(path, records, encoding, newline="\r\n"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerows(records)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes(data)


def write_jsonl(path, events):
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events), encoding="utf-8")


def kingdee(rng):
    """常州锂擎动力电池股份有限公司, Kingdee K/3 voucher query export, GBK, 2026 periods 1-3."""
    org = "91320400MA1MX8K676"
    rows = make_rows(rng, 36, [1, 2, 3], 2026, "26321")
    header = ["日期", "会计期间", "凭证字号", "分录号", "摘要", "科目代码", "科目名称", "预算科目", "借方金额",
              "贷方金额", "往来单位", "发票号码", "开票日期", "付款日期", "经办人", "审核人", "项目"]
    records = [["凭证查询"], ["单位：常州锂擎动力电池股份有限公司", "", "期间：2026年第1期至2026年第3期"], header]
    events = []
    for row in rows:
        y, m, d = row["voucher_date"]
        period = f"{y}.{m}"
        voucher = f"记-{row['voucher']}"
        budget = row["budget_name"]
        if row["category"] == "materials" and row["vendor_id"] == "V-SHIJITONG":
            budget = "材料费-实验耗材"  # a sub-account: mapped in [map.category]
        records.append([
            f"{y}/{m}/{d}", period, voucher, str(row["line"]), row["description"], "5301.01",
            "研发支出-资本化支出", budget, grouped(row["amount"]), "", VENDORS[row["vendor_id"]][0],
            row["invoice_number"], "%d/%d/%d" % row["invoice_date"], "%d/%d/%d" % row["payment_date"],
            row["requester"], row["approver"], "梯次利用课题",
        ])
        events.append(expected_event(row, PROVINCIAL, org, f"{org}|{period}|{voucher}|{row['line']}", voucher))
    total = sum(row["amount"] for row in rows)
    records.append(["", "", "", "", "合计", "", "", "", grouped(total), "", "", "", "", "", "", "", ""])
    write_csv(HERE / "kingdee-liqing-2026q1.csv", records, "gbk")
    write_jsonl(HERE / "kingdee-liqing-2026q1.expected.jsonl", events)


def yonyou(rng):
    """合肥骏驰新能源汽车有限公司, Yonyou U8 voucher export, GBK, 2026 periods 3-5."""
    org = "91340100MA2T4N9GXB"
    allowed = {"V-GUYUAN", "V-SAILONG", "V-HUACE", "V-BEICHEN", "V-RUIKE", "V-NENGTOU", "V-SHANGLV",
               "V-HUAZHI", "V-JINGGONG", "V-SHIJITONG", "V-HUIWU", "V-YINGCAI"}
    rows = make_rows(rng, 30, [3, 4, 5], 2026, "26342", allowed)
    accounts = {"materials": "研发支出-直接材料", "testing": "研发支出-测试化验加工",
                "equipment": "研发支出-设备购置", "fuel_power": "研发支出-燃料动力",
                "travel_conference_international": "研发支出-差旅会议",
                "publication_ip": "研发支出-知识产权事务", "labour": "研发支出-劳务"}
    header = ["会计年度", "会计期间", "凭证类别", "凭证编号", "行号", "制单日期", "摘要", "科目编码", "科目名称",
              "借方金额", "贷方金额", "供应商统一社会信用代码", "供应商名称", "发票号", "发票日期", "付款日期",
              "经办人", "审核人"]
    records = [header]
    events = []
    for row in rows:
        if row["vendor_id"] == "V-BOCAI":
            row["vendor_id"] = "V-YINGCAI"
        y, m, d = row["voucher_date"]
        voucher = "%04d" % row["voucher"]
        records.append([
            str(y), "%02d" % m, "记", voucher, str(row["line"]), "%04d%02d%02d" % row["voucher_date"],
            row["description"], "5301", accounts[row["category"]], "￥" + grouped(row["amount"]), "",
            VENDORS[row["vendor_id"]][1], VENDORS[row["vendor_id"]][0], row["invoice_number"],
            "%04d%02d%02d" % row["invoice_date"], "%d年%d月%d日" % row["payment_date"],
            row["requester"], row["approver"],
        ])
        key = f"{org}|{y}|{'%02d' % m}|{voucher}|{row['line']}"
        events.append(expected_event(row, NATIONAL, org, key, None))
    write_csv(HERE / "yonyou-junchi-2026.csv", records, "gbk")
    write_jsonl(HERE / "yonyou-junchi-2026.expected.jsonl", events)


def excel(rng):
    """江淮工业大学, a workbook saved by Excel as "CSV UTF-8" (with a byte-order mark), 2026 period 4."""
    org = "123400004850032765"
    rows = make_rows(rng, 24, [4], 2026, "26341")
    header = ["期间", "凭证号", "行", "Grant", "经费科目 Category", "供应商 Vendor", "发票号 Invoice",
              "开票日期", "支付日期", "记账日期", "金额 Amount", "经办人", "审批人", "用途 Description"]
    records = [header]
    events = []
    for index, row in enumerate(rows):
        english = {"materials": "Materials", "testing": "Testing", "equipment": "Equipment",
                   "fuel_power": "Fuel and power", "travel_conference_international":
                   "Travel, conference and international cooperation", "publication_ip": "Publication and IP",
                   "labour": "Labour"}[row["category"]]
        description = row["description"]
        if index == 3:
            description = "电芯针刺测试, 复测\n（第二批样品）"  # a comma and a line break inside quotes
            row["description"] = description
        voucher = "记-%03d" % row["voucher"]
        records.append([
            "2026-04", voucher, str(row["line"]), NATIONAL, english if index % 2 else row["budget_name"],
            VENDORS[row["vendor_id"]][0], row["invoice_number"], iso(row["invoice_date"]),
            iso(row["payment_date"]), iso(row["voucher_date"]), grouped(row["amount"]), row["requester"],
            row["approver"], description,
        ])
        events.append(expected_event(row, NATIONAL, org, f"{org}|2026-04|{voucher}|{row['line']}", voucher))
    write_csv(HERE / "excel-jhut-2026-04.csv", records, "utf-8-sig")
    write_jsonl(HERE / "excel-jhut-2026-04.expected.jsonl", events)


def main():
    rng = random.Random(20261207)
    kingdee(rng)
    yonyou(rng)
    excel(rng)


if __name__ == "__main__":
    main()
