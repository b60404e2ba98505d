#!/usr/bin/env python3
"""Writes the fundtrail demo data set: a power-battery industrial technology innovation strategic
alliance (动力电池产业技术创新战略联盟) with two government grants, a few hundred expenditures and
planted misuse for the rules of RULES.md.

    python3 generate.py          # rewrites demo.json, agreement.md, steps/*.jsonl and README.md

Python 3 standard library only. The output depends on nothing but this file and the public keys in
keys/*.pem.pub (made once with `fundtrail keygen`): the random generator is seeded with a constant,
so running the script again reproduces every file byte for byte.

Before writing anything the script runs a small reference implementation of the misuse rules over
the data it generated and stops if a planted case does not raise its flag, or if a flag appears that
is neither planted nor listed as an expected side effect. README.md is written from the same data,
so the file and line of every planted case stay right.

Every organisation code, person, vendor, invoice, grant number and amount here is invented.
"""

import base64
import datetime
import hashlib
import json
import pathlib
import random
import sys

HERE = pathlib.Path(__file__).resolve().parent
STEPS_DIR = "steps"
random.seed(20080770)  # Guo Ke Fa Zheng [2008] No. 770, the Opinions this alliance is founded under

# The date the README's expected flags are evaluated at (`--as-of-date`). Fixed, never "today", so the
# expectations do not drift.
AS_OF = datetime.date(2026, 11, 28)
THRESHOLD_FEN = 100_000_00      # AN-2 / AN-3 approval threshold, 100,000.00 CNY
EQUIPMENT_THRESHOLD_FEN = 50_000_00
EXPERT_CAP_FEN = 2_400_00       # per person-day; academicians 3,600.00
ACADEMICIAN_CAP_FEN = 3_600_00
LIQUIDATION_DAYS = 120

# ---------------------------------------------------------------------------------------------
# Small helpers: dates, money, codes, keys.

ONE_DAY = datetime.timedelta(days=1)


def d(text):
    return datetime.date.fromisoformat(text)


def iso(date):
    return date.isoformat()


def plus(date, days):
    return date + datetime.timedelta(days=days)


# Chinese public holidays (State Council notices) 2024-2026. Used to keep ordinary payments off
# holidays, so AN-6 fires only where it is planted.
HOLIDAY_RANGES = [
    ("2024-01-01", "2024-01-01"), ("2024-02-10", "2024-02-17"), ("2024-04-04", "2024-04-06"),
    ("2024-05-01", "2024-05-05"), ("2024-06-10", "2024-06-10"), ("2024-09-15", "2024-09-17"),
    ("2024-10-01", "2024-10-07"),
    ("2025-01-01", "2025-01-01"), ("2025-01-28", "2025-02-04"), ("2025-04-04", "2025-04-06"),
    ("2025-05-01", "2025-05-05"), ("2025-05-31", "2025-06-02"), ("2025-10-01", "2025-10-08"),
    ("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
    ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
    ("2026-10-01", "2026-10-07"),
]
HOLIDAYS = set()
for _first, _last in HOLIDAY_RANGES:
    _day = d(_first)
    while _day <= d(_last):
        HOLIDAYS.add(_day)
        _day += ONE_DAY


def is_workday(date):
    return date.weekday() < 5 and date not in HOLIDAYS


def workday_on_or_after(date):
    while not is_workday(date):
        date += ONE_DAY
    return date


def workday_on_or_before(date):
    while not is_workday(date):
        date -= ONE_DAY
    return date


def random_workday(first, last):
    assert first <= last, (first, last)
    for _ in range(1000):
        date = plus(first, random.randint(0, (last - first).days))
        if is_workday(date):
            return date
    raise AssertionError(f"no workday in {first}..{last}")


def money(fen):
    """Money as fundtrail reads it: one string, exact, two decimals for CNY."""
    assert isinstance(fen, int) and fen >= 0
    return f"{fen // 100}.{fen % 100:02d} CNY"


def yuan(amount_yuan):
    return amount_yuan * 100


def grouped(fen):
    """1234567.80 -> '1,234,567.80' for the README."""
    return f"{fen // 100:,}.{fen % 100:02d}"


def draw_amount(low_yuan, high_yuan):
    """A log-uniform amount (so first digits follow Benford's law), never a multiple of 1,000.00
    and never just below the 100,000.00 approval threshold."""
    while True:
        value = low_yuan * (high_yuan / low_yuan) ** random.random()
        fen = int(value * 100)
        if fen % 100_000 == 0 or 95_000_00 <= fen < THRESHOLD_FEN:
            continue
        return fen


# GB 32100-2015 unified social credit code. Characters 9-17 are the GB 11714 organisation code,
# whose own last character is a check character too; both are computed here.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17):
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def organisation_code(body8):
    total = sum(int(c, 36) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return body8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def uscc(prefix2, region6, body8):
    """prefix2: registration authority and kind ('91' enterprise, '12' public institution, '11'
    government body, '51' social organisation); region6: administrative division code."""
    first17 = prefix2 + region6 + organisation_code(body8)
    assert len(first17) == 17 and all(c in USCC_ALPHABET for c in first17), first17
    return first17 + uscc_check_character(first17)


def patent_number(application12):
    """CN patent number ZL + 12-digit application number + '.' + its check digit."""
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    check = sum(int(c) * w for c, w in zip(application12, weights)) % 11
    return f"ZL{application12}.{'X' if check == 10 else check}"


def public_key_raw(name):
    """The raw 32-byte Ed25519 key of keys/NAME.pem.pub (PEM SubjectPublicKeyInfo)."""
    text = (HERE / "keys" / f"{name}.pem.pub").read_text()
    body = "".join(line for line in text.splitlines() if not line.startswith("-----"))
    der = base64.b64decode(body)
    assert len(der) == 44, f"keys/{name}.pem.pub is not an Ed25519 public key"
    return der[-32:]


def key_id(raw):
    return hashlib.sha256(b"FTKEYID1" + raw).digest()[:16].hex()


# ---------------------------------------------------------------------------------------------
# Events. Every event is an Item; expenditures, flows and refunds keep their figures as attributes
# for the reference checks.

class Item:
    uid_next = 1

    def __init__(self, type_name, date, fields=None):
        self.uid = Item.uid_next
        Item.uid_next += 1
        self.type = type_name
        self.date = date
        self.fields = fields or {}
        self.file = None
        self.line = None
        self.sequence = None

    def event(self):
        return {"type": self.type, **{k: v for k, v in self.fields.items() if v is not None}}

    def where(self):
        return f"{self.file}:{self.line}"


def item(type_name, **fields):
    return Item(type_name, None, fields)


class Org:
    def __init__(self, key, prefix2, region6, body8, name, name_en, kind, legal, bank=None):
        self.key = key
        self.id = uscc(prefix2, region6, body8)
        self.name = name
        self.name_en = name_en
        self.kind = kind
        self.legal = legal
        self.bank = bank


class Member(Org):
    def __init__(self, key, prefix2, region6, body8, name, name_en, kind, legal, bank, *,
                 admitted, requesters, small, big, finance, topic, province):
        super().__init__(key, prefix2, region6, body8, name, name_en, kind, legal, bank)
        self.admitted = d(admitted)
        self.requesters = requesters
        self.small = small        # approves payments below 100,000.00
        self.big = big            # approves payments of 100,000.00 and more
        self.finance = finance    # finance officer who books internal charges
        self.topic = topic        # what its expert consultations are about
        self.province = province
        self.self_vendor = None


class Vendor:
    def __init__(self, key, name, prefix2, region6, body8, legal=None, bank=None, registered=None,
                 tax_id=None):
        self.key = key
        self.id = "V-" + key
        self.name = name
        self.tax_id = tax_id or uscc(prefix2, region6, body8)
        self.province = region6[:2]
        self.legal = legal
        self.bank = bank
        self.registered = d(registered) if registered else None
        self.item = None

    def event(self):
        return {"type": "vendor_registered", "vendor_id": self.id, "name": self.name,
                **{k: v for k, v in (("tax_id", self.tax_id), ("legal_representative", self.legal),
                                     ("bank_account", self.bank),
                                     ("registered_date", iso(self.registered) if self.registered else None))
                   if v is not None}}


class Grant:
    def __init__(self, id_, title, funder, source, amount, start, end, budget, authority, project,
                 awarded):
        self.id = id_
        self.title = title
        self.funder = funder
        self.source = source
        self.amount = amount
        self.start = d(start)
        self.end = d(end)
        self.budget = budget          # category -> fen, in the order of the award
        self.authority = authority
        self.project = project
        self.awarded = d(awarded)
        self.adjustments = []         # (date, {category: new fen})
        assert sum(budget.values()) == amount

    def government(self):
        return self.source in ("central_government", "local_government")

    def budget_at(self, date):
        lines = dict(self.budget)
        for when, changes in self.adjustments:
            if when <= date:
                lines.update(changes)
        return lines


class Exp(Item):
    def __init__(self, member, grant, category, vendor, amount, invoice_date, pay, voucher, requester,
                 approver, description, invoice, payee=None, expert=None, expert_days=None,
                 academician=None, org=None):
        super().__init__("expenditure_recorded", pay)
        self.member = member
        self.org = org or member          # the org_id written; differs only in the rejected step
        self.grant = grant
        self.category = category
        self.vendor = vendor
        self.amount = amount
        self.invoice_date = invoice_date
        self.pay = pay
        self.voucher = voucher
        self.requester = requester
        self.approver = approver
        self.description = description
        self.invoice = invoice
        self.payee = payee
        self.expert = expert
        self.expert_days = expert_days
        self.academician = academician
        self.reference = None
        self.reversed = False

    def event(self):
        fields = [
            ("grant_id", self.grant.id), ("org_id", self.org.id), ("category", self.category),
            ("vendor_id", self.vendor.id), ("invoice_number", self.invoice),
            ("invoice_date", iso(self.invoice_date)), ("payment_date", iso(self.pay)),
            ("amount", money(self.amount)), ("requester", self.requester), ("approver", self.approver),
            ("description", self.description),
            ("voucher_date", iso(self.voucher) if self.voucher else None), ("payee", self.payee),
            ("expert_name", self.expert), ("expert_days", self.expert_days),
            ("expert_is_academician", self.academician), ("reference", self.reference),
        ]
        return {"type": self.type, **{k: v for k, v in fields if v is not None}}


class Flow(Item):
    """funds_received (member None) or funds_disbursed."""

    def __init__(self, type_name, grant, member, amount, date, reference, task=None):
        super().__init__(type_name, date)
        self.grant = grant
        self.member = member
        self.amount = amount
        self.reference = reference
        self.task = task

    def event(self):
        if self.type == "funds_received":
            return {"type": self.type, "grant_id": self.grant.id, "amount": money(self.amount),
                    "date": iso(self.date), "reference": self.reference}
        event = {"type": self.type, "grant_id": self.grant.id, "member_org_id": self.member.id,
                 "amount": money(self.amount), "date": iso(self.date)}
        if self.task:
            event["task_id"] = self.task
        event["reference"] = self.reference
        return event


class Refund(Item):
    def __init__(self, grant, org, amount, date, reference):
        super().__init__("refund_recorded", date)
        self.grant = grant
        self.org = org
        self.amount = amount
        self.reference = reference

    def event(self):
        return {"type": self.type, "grant_id": self.grant.id, "org_id": self.org.id,
                "kind": "unspent_to_funder", "amount": money(self.amount), "date": iso(self.date),
                "reference": self.reference}


# Expected flags: key -> (rule, kind, text). kind is "planted" (the point of the case),
# "side effect" (a planted case or an unavoidable modelling choice also raises it) or "control"
# (a near miss that must NOT raise it).
EXPECTED = {}


def expect(key, kind, text):
    assert key not in EXPECTED, key
    EXPECTED[key] = (key.split(":")[0], kind, text)


# ---------------------------------------------------------------------------------------------
# The alliance.

ALLIANCE_ID = "PBITISA-2023"
ALLIANCE_NAME = "动力电池产业技术创新战略联盟"
ALLIANCE_NAME_EN = "Power Battery Industrial Technology Innovation Strategic Alliance"
FOUNDED = d("2023-04-12")

SECRETARIAT = Org("secretariat", "51", "320400", "MA1N7C2K", "常州市动力电池产业创新促进会",
                  "Changzhou Power Battery Industry Innovation Association (alliance secretariat)",
                  "other", "吴建平")
MOST = Org("most", "11", "100000", "40001376", "科学技术部国家重点研发计划管理办公室",
           "Ministry of Science and Technology, National Key R&D Programme Office", "other", "赵国栋")
PROVINCIAL = Org("provincial", "11", "320000", "01400562", "江苏省科学技术厅",
                 "Jiangsu Provincial Department of Science and Technology", "other", "孙志明")
FUND_MANAGER = Org("fundmanager", "91", "320400", "MA1P3T8E", "常州锂谷科技服务有限公司",
                   "Changzhou Ligu Technology Services Co., Ltd. (supporting unit entrusted with the funds)",
                   "enterprise", "陆海波", "中国银行常州科教城支行 4675 7391 2046")
AUDITOR = Org("auditor", "91", "320100", "MA1Y6H4L", "江苏正衡会计师事务所有限公司",
              "Jiangsu Zhengheng Certified Public Accountants Co., Ltd. (internal audit)",
              "enterprise", "顾文清")

LIQING = Member(
    "liqing", "91", "320400", "MA1MX8K6", "常州锂擎动力电池股份有限公司",
    "Changzhou Liqing Power Battery Co., Ltd.", "enterprise", "沈卫东",
    "中国工商银行常州新北支行 1105 0210 0924 5871 336", admitted="2023-04-12",
    requesters=["刘洋", "张海峰", "孙丽娜", "马骏"], small="黄志刚", big="钱永福", finance="周倩",
    topic="高比能电芯设计方案评审", province="32")
JUNCHI = Member(
    "junchi", "91", "340100", "MA2T4N9G", "合肥骏驰新能源汽车有限公司",
    "Hefei Junchi New Energy Vehicle Co., Ltd.", "enterprise", "许明远",
    "中国建设银行合肥高新区支行 3405 0186 2738 0000 1542", admitted="2023-04-12",
    requesters=["赵磊", "韩雪", "冯涛"], small="郑国强", big="梁建军", finance="方琳",
    topic="电池包整车集成方案论证", province="34")
LIYUAN = Member(
    "liyuan", "91", "360900", "MA38B6QK", "宜春锂源新材料科技有限公司",
    "Yichun Liyuan New Materials Technology Co., Ltd.", "enterprise", "周志强",
    "中国农业银行宜春经开区支行 1410 2101 0400 1735 8", admitted="2024-01-15",
    requesters=["罗文斌", "邱敏"], small="胡春生", big="周志强", finance="易红",
    topic="高镍正极材料工艺路线论证", province="36")
JHUT = Member(
    "jhut", "12", "340000", "48500327", "江淮工业大学", "Jianghuai University of Technology",
    "university", "李振华", "中国银行合肥蜀山支行 1826 0471 3592", admitted="2023-04-12",
    requesters=["杨帆", "何静", "徐晨"], small="曹建国", big="唐文杰", finance="施雅琴",
    topic="电池热失控机理研究进展咨询", province="34")
DHUST = Member(
    "dhust", "12", "310000", "42501960", "东海理工大学",
    "Donghai University of Science and Technology", "university", "陈光明",
    "交通银行上海杨浦支行 3100 6608 1018 0006 2447", admitted="2023-06-20",
    requesters=["陈思远", "林晓", "高翔"], small="吕红梅", big="潘志成", finance="金秀兰",
    topic="电池管理系统算法方案评审", province="31")
JIPBS = Member(
    "jipbs", "12", "320100", "46671853", "江苏省动力电池安全研究院",
    "Jiangsu Institute of Power Battery Safety", "research_institute", "王立群",
    "中国工商银行南京江北新区支行 4301 0152 0910 0283 617", admitted="2023-11-08",
    requesters=["王晓东", "谢婷", "蒋涛"], small="蔡明", big="王立群", finance="邵丽",
    topic="动力电池安全测试标准草案评审", province="32")
MEMBERS = [LIQING, JUNCHI, LIYUAN, JHUT, DHUST, JIPBS]
ORGS = [SECRETARIAT, MOST, PROVINCIAL, FUND_MANAGER, AUDITOR] + MEMBERS
assert len({o.id for o in ORGS}) == len(ORGS)

WITHDRAWN = LIYUAN
WITHDRAWN_DATE = d("2025-06-30")

VENDORS = {v.key: v for v in [
    Vendor("RUITUO", "常州瑞拓精密设备有限公司", "91", "320400", "73652914", "钟伟", registered="2002-03-18"),
    Vendor("HENGCHI", "深圳市恒驰电子测试设备有限公司", "91", "440300", "27935601", "邹志伟", registered="2008-11-05"),
    Vendor("ZHONGKE", "北京中科仪器进出口有限公司", "91", "110108", "10125866", "贾文博"),
    Vendor("GUYUAN", "湖南钴源新材料有限公司", "91", "430100", "MA4L2P7D", "彭建新", registered="2016-07-21"),
    Vendor("LIHUI", "江西锂辉化工有限公司", "91", "360900", "69845723", "熊国华", registered="2009-12-02"),
    Vendor("SAILONG", "上海赛隆隔膜科技有限公司", "91", "310000", "MA1G5D8Y", "戴志远", registered="2015-04-30"),
    Vendor("TANGU", "宁波碳谷新材料有限公司", "91", "330200", "MA2A9H3C", "俞海燕", registered="2017-09-12"),
    Vendor("SHIJITONG", "南京试剂通实验用品有限公司", "91", "320100", "79371528", "汪明"),
    Vendor("BAIRUN", "常州百润商贸有限公司", "91", "320400", "MA1R2W5B", "丁秀英", registered="2018-06-08"),
    Vendor("HUACE", "苏州华测新能源检测技术有限公司", "91", "320500", "MA1M4K7J", "杜永刚", registered="2013-08-19"),
    Vendor("BEICHEN", "天津北辰汽车检测服务有限公司", "91", "120113", "75225381", "石磊", registered="2004-05-27"),
    Vendor("JINGGONG", "苏州精工模具加工有限公司", "91", "320500", "66275104", "任建国"),
    Vendor("YUNFAN", "合肥云帆数据科技有限公司", "91", "340100", "MA2U8R1N", "郝天宇", registered="2019-03-14"),
    Vendor("NENGTOU", "江苏能投综合能源服务有限公司", "91", "320000", "MA1X3E6F", "姜国庆", registered="2017-01-09"),
    Vendor("SHANGLV", "常州环球商旅国际旅行社有限公司", "91", "320400", "60819772", "范丽"),
    Vendor("HUIWU", "常州宏远会务服务有限公司", "91", "320400", "MA1Q7U2A", "毛建华", registered="2019-10-22"),
    Vendor("HUAZHI", "北京华知专利代理事务所（普通合伙）", "31", "110000", "MA0C6N5R", "秦瑞"),
    Vendor("KEWEN", "科文学术出版服务（北京）有限公司", "91", "110105", "MA01H9T4", "崔晓峰", registered="2016-02-25"),
    Vendor("BOCAI", "常州博才人力资源服务有限公司", "91", "320400", "MA1T9B3W", "龚静", registered="2016-11-11"),
    Vendor("YINGCAI", "合肥英才人力资源服务有限公司", "91", "340100", "MA2N3G8K", "钱立", registered="2017-05-03"),
    Vendor("KECHENG", "江苏科诚工程咨询有限公司", "91", "320100", "13479802", "严伟"),
    Vendor("HAIDE", "上海海德国际物流有限公司", "91", "310115", "63145897", "孔令军", registered="2001-09-17"),
    Vendor("LVYUAN", "常州绿源环保科技有限公司", "91", "320400", "MA1W2Y8N", "程建明", registered="2014-12-01"),
    Vendor("JIALIAN", "芜湖嘉联汽车零部件有限公司", "91", "340200", "71394061", "唐卫国", registered="1999-08-26"),
    Vendor("XINLIAN", "上海芯联电子元器件有限公司", "91", "310000", "MA1H4P6D", "薛佳", registered="2015-07-15"),
    Vendor("ECOENF", "常州市生态环境综合行政执法支队", "12", "320400", "46654132", "曹永"),
    # Planted: shares its legal representative with the member 宜春锂源 (AN-8).
    Vendor("LIDA", "宜春锂达贸易有限公司", "91", "360900", "MA39C2L5", LIYUAN.legal, registered="2019-05-14"),
    # Planted: shares its bank account with the member 东海理工大学 (AN-8).
    Vendor("DONGLI", "上海东理新能源技术服务有限公司", "91", "310110", "MA1J8K2Q", "蒋文", bank=DHUST.bank,
           registered="2016-03-09"),
]}
# Registered in a later step: business registration only 41 days before its first payment (AN-8).
LATE_VENDOR = Vendor("RUIKE", "常州锐科检测仪器有限公司", "91", "320400", "MA27Q4D3", "黎俊",
                     registered="2025-08-01")
VENDORS_ALL = dict(VENDORS)
VENDORS_ALL["RUIKE"] = LATE_VENDOR
for _member in MEMBERS:
    # Internal charges (indirect costs, university payroll and utility allocations) have no outside
    # vendor, but expenditure_recorded requires one: each member books them against itself.
    _vendor = Vendor("SELF-" + _member.key.upper(), _member.name + "（本单位内部结算）", "", "", "",
                     tax_id=_member.id)
    _member.self_vendor = _vendor
    VENDORS_ALL[_vendor.key] = _vendor

# ---------------------------------------------------------------------------------------------
# Agreement, projects, tasks, grants.

AGREEMENT_ID = "AGR-PBITISA-2024"
AGREEMENT_DATE = d("2024-01-22")
OWNERSHIP = {LIQING: 3000, JUNCHI: 1500, LIYUAN: 1000, JHUT: 2000, DHUST: 1000, JIPBS: 1500}
REVENUE = {LIQING: 3500, JUNCHI: 2000, LIYUAN: 1000, JHUT: 1500, DHUST: 1000, JIPBS: 1000}
assert sum(OWNERSHIP.values()) == sum(REVENUE.values()) == 10000
GOALS = [
    "突破单体能量密度≥350Wh/kg、系统能量密度≥260Wh/kg的高比能高安全动力电池关键技术",
    "建立动力电池热失控预警与热扩散抑制技术体系，实现电池系统热扩散零起火",
    "完成不少于200辆搭载联盟电池系统的新能源汽车示范运行",
    "制定动力电池安全测试评价团体标准2项，申请发明专利20件以上",
]
TASKS = {
    LIQING: "课题1：高比能高安全电芯设计与中试制造（牵头）",
    LIYUAN: "课题2：高镍正极材料及补锂添加剂开发",
    JHUT: "课题3：电池热失控机理与多物理场建模",
    DHUST: "课题4：电池管理系统SOC/SOH估计与热失控预警算法",
    JUNCHI: "课题5：电池系统整车集成与示范运行",
    JIPBS: "课题6：动力电池安全测试评价方法与标准",
}
LICENSING_TERMS = ("联盟成员对联盟成果享有非独占、免费的实施许可；向联盟外许可须经理事会批准，"
                   "许可收益按协议约定的收益分配比例分配；政府资助形成的成果自登记之日起一年内"
                   "应向联盟外开放共享或许可。")

NATIONAL_PROJECT = "P-2024YFB9990100"
LOCAL_PROJECT = "P-BE2025099"
NATIONAL_TASK = {m: f"T-2024YFB99901{i:02d}" for i, m in
                 enumerate([LIQING, LIYUAN, JHUT, DHUST, JUNCHI, JIPBS], start=1)}
TAKEOVER_TASK = "T-2024YFB9990102B"   # 宜春锂源's task, taken over by 锂擎 after its withdrawal
LOCAL_TASK = {LIQING: "T-BE2025099-01", JIPBS: "T-BE2025099-02", DHUST: "T-BE2025099-03"}

NATIONAL = Grant(
    "NKRD-2024YFB9990100", "国家重点研发计划“新能源汽车”重点专项：高比能高安全动力电池系统关键技术与示范应用",
    MOST, "central_government", yuan(30_000_000), "2024-01-01", "2026-06-30",
    {"equipment": yuan(6_800_000), "materials": yuan(8_200_000), "testing": yuan(3_600_000),
     "fuel_power": yuan(1_000_000), "travel_conference_international": yuan(900_000),
     "publication_ip": yuan(250_000), "labour": yuan(2_800_000), "expert_consultation": yuan(150_000),
     "other_direct": yuan(1_850_000), "indirect": yuan(4_450_000)},
    "科学技术部", NATIONAL_PROJECT, "2024-02-28")
LOCAL = Grant(
    "JS-BE2025099", "江苏省重点研发计划（产业前瞻与关键核心技术）：退役动力电池梯次利用与安全评估关键技术",
    PROVINCIAL, "local_government", yuan(5_000_000), "2025-01-01", "2027-12-31",
    # No travel/conference and no publication/IP line: PU-2 plants a patent fee on it.
    {"equipment": yuan(1_000_000), "materials": yuan(1_150_000), "testing": yuan(900_000),
     "fuel_power": yuan(120_000), "labour": yuan(850_000), "expert_consultation": yuan(50_000),
     "other_direct": yuan(130_000), "indirect": yuan(800_000)},
    "江苏省科学技术厅", LOCAL_PROJECT, "2024-12-20")
GRANTS = [NATIONAL, LOCAL]
ADJUSTMENT_DATE = d("2025-09-10")
NATIONAL.adjustments.append((ADJUSTMENT_DATE, {"travel_conference_international": yuan(500_000),
                                               "testing": yuan(4_000_000)}))

DIRECT = ["equipment", "materials", "testing", "fuel_power", "travel_conference_international",
          "publication_ip", "labour", "expert_consultation", "other_direct"]

# ---------------------------------------------------------------------------------------------
# Expenditures. Planted cases are placed first at fixed dates; ordinary ones are then drawn at
# random dates that keep clear of them (no accidental split purchases, weekends, round amounts...).

EXPENDITURES = []
INVOICES = set()
INTERNAL_SLIPS = {}


def invoice_number(vendor, date):
    if vendor.key.startswith("SELF-"):
        count = INTERNAL_SLIPS.get((vendor.key, date.year), 0) + 1
        INTERNAL_SLIPS[(vendor.key, date.year)] = count
        return f"NBJS-{date.year}-{count:04d}"   # internal settlement slip
    while True:
        # Fully digital e-invoice (数电票): year, province, channel, 15-digit serial.
        number = f"{date.year % 100:02d}{vendor.province}{random.randint(1, 2)}{random.randint(0, 10**15 - 1):015d}"
        if number not in INVOICES:
            INVOICES.add(number)
            return number


def windows_over_threshold(payments):
    """Sliding 7-day windows of sub-threshold payments that together reach the threshold."""
    payments = sorted((p for p in payments if p.amount < THRESHOLD_FEN), key=lambda p: (p.pay, p.uid))
    hits = []
    for i, first in enumerate(payments):
        window = [p for p in payments[i:] if (p.pay - first.pay).days <= 6]
        if len(window) >= 2 and sum(p.amount for p in window) >= THRESHOLD_FEN:
            hits.append(window)
    return hits


def clashes(candidate):
    """Whether an ordinary expenditure would raise AN-2 (split purchase) or AN-1 (same vendor,
    amount and date) together with what is already placed."""
    if any(e.vendor is candidate.vendor and e.amount == candidate.amount and e.pay == candidate.pay
           for e in EXPENDITURES):
        return True
    if candidate.amount >= THRESHOLD_FEN:
        return False
    for same in (lambda e: e.vendor is candidate.vendor,
                 lambda e: e.member is candidate.member and e.requester == candidate.requester):
        near = [e for e in EXPENDITURES
                if same(e) and e.amount < THRESHOLD_FEN and abs((e.pay - candidate.pay).days) <= 6]
        if near and windows_over_threshold(near + [candidate]):
            return True
    return False


def approver_for(member, amount, requester):
    approver = member.big if amount >= THRESHOLD_FEN else member.small
    assert approver != requester
    return approver


def new_expenditure(member, grant, category, vendor_key, amount, pay, description, *,
                    invoice_date=None, voucher=None, requester=None, approver=None, invoice=None,
                    payee=None, expert=None, expert_days=None, academician=None):
    vendor = VENDORS_ALL[vendor_key] if vendor_key != "SELF" else member.self_vendor
    internal = vendor is member.self_vendor
    if invoice_date is None:
        invoice_date = pay if internal else workday_on_or_before(plus(pay, -random.randint(0, 20)))
        invoice_date = max(invoice_date, grant.start)
    if voucher is None:
        voucher = workday_on_or_after(plus(pay, random.randint(0, 5)))
    requester = requester or (member.finance if internal else random.choice(member.requesters))
    approver = approver or approver_for(member, amount, requester)
    invoice = invoice or invoice_number(vendor, invoice_date)
    return Exp(member, grant, category, vendor, amount, invoice_date, pay, voucher, requester, approver,
               description, invoice, payee, expert, expert_days, academician)


def plant(member, grant, category, vendor_key, amount, pay, description, rules, **extra):
    """A planted expenditure at a fixed date. rules: [(rule, kind, text)]."""
    e = new_expenditure(member, grant, category, vendor_key, amount, d(pay) if isinstance(pay, str) else pay,
                        description, **extra)
    EXPENDITURES.append(e)
    for rule, kind, text in rules:
        expect(f"{rule}:{e.uid}", kind, text)
    return e


def fill(template, pay):
    quarter = (pay.month - 1) // 3 + 1
    return template.format(y=pay.year, q=quarter, m=pay.month, n=random.randint(2, 9))


def spread(member, grant, category, count, low, high, choices, first, last):
    """count ordinary expenditures at random workdays in [first, last]."""
    for _ in range(count):
        template, vendor_key = random.choice(choices)
        for _attempt in range(500):
            amount = draw_amount(low, high)
            pay = random_workday(first, last)
            e = new_expenditure(member, grant, category, vendor_key, amount, pay, fill(template, pay))
            if not clashes(e):
                EXPENDITURES.append(e)
                break
        else:
            raise AssertionError(f"cannot place {member.key} {category}")


def quarterly(member, grant, category, low, high, template, vendor_key, first, last):
    """One ordinary expenditure per calendar quarter (payroll-like: labour, utilities)."""
    quarter_start = datetime.date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    while quarter_start <= last:
        next_start = datetime.date(quarter_start.year + (quarter_start.month == 10),
                                   (quarter_start.month + 2) % 12 + 1, 1)
        lo, hi = max(first, plus(quarter_start, 35)), min(last, plus(next_start, -6))
        if lo <= hi:
            for _attempt in range(500):
                amount = draw_amount(low, high)
                pay = random_workday(lo, hi)
                e = new_expenditure(member, grant, category, vendor_key, amount, pay, fill(template, pay))
                if not clashes(e):
                    EXPENDITURES.append(e)
                    break
            else:
                raise AssertionError(f"cannot place {member.key} {category} {quarter_start}")
        quarter_start = next_start


EXPERTS = ["周建民", "范晓光", "田雨", "孔德胜", "邓丽华", "贺长江", "严方舟", "陆云飞"]
EXPERT_FEES = [(rate, days) for rate in (1500, 1800, 2200, 2400) for days in (1, 2, 3)
               if (rate * days) % 1000 != 0]


def experts(member, grant, count, first, last):
    for _ in range(count):
        for _attempt in range(200):
            rate, days = random.choice(EXPERT_FEES)
            name = random.choice(EXPERTS)
            pay = random_workday(first, last)
            e = new_expenditure(member, grant, "expert_consultation", "KECHENG", yuan(rate * days), pay,
                                f"专家咨询费：{member.topic}（{name}，{days}天）", payee=name, expert=name,
                                expert_days=days)
            if not clashes(e):
                EXPERTS_PLACED.append(e)
                EXPENDITURES.append(e)
                break
        else:
            raise AssertionError("cannot place expert fee")


EXPERTS_PLACED = []


def indirect(member, grant, periods, rate_percent, description):
    """Indirect costs (management fee and performance pay) booked against the member itself at the
    end of each period, as rate_percent of the direct costs less equipment paid in the period."""
    for first, last, booked in periods:
        direct = sum(e.amount for e in EXPENDITURES if e.member is member and e.grant is grant
                     and e.category not in ("indirect", "equipment") and first <= e.pay <= last)
        if direct == 0:
            continue
        amount = direct * rate_percent // 100
        if amount % 100_000 == 0:
            amount += 1
        e = new_expenditure(member, grant, "indirect", "SELF", amount, d(booked),
                            description.format(y=d(booked).year))
        EXPENDITURES.append(e)


# --- Planted expenditures --------------------------------------------------------------------
# Lines in the README come from these texts. Each is a valid event; only the misuse rules object.

G, L = NATIONAL, LOCAL

# A. Allowability
plant(JIPBS, G, "other_direct", "ECOENF", yuan(20_000), "2025-11-12",
      "缴纳实验废液超标排放行政罚款（常环罚〔2025〕118号）",
      [("PU-1", "planted", "a fine (罚款) paid from the national grant")])
plant(JUNCHI, G, "other_direct", "BAIRUN", yuan(13_500), "2025-12-17",
      "采购超市购物卡（礼品卡）27张，用于项目组节日慰问",
      [("PU-1", "planted", "shopping/gift cards (购物卡, 礼品卡) bought on the national grant")])
plant(LIQING, G, "travel_conference_international", "HUIWU", 873_600, "2025-10-22",
      "课题中期检查期间招待宴请及酒水费用",
      [("PU-1", "planted", "entertainment with alcohol (招待宴请, 酒水) booked as conference cost")])
plant(LIQING, L, "publication_ip", "HUAZHI", 986_000, "2025-09-24",
      "梯次利用电池包快速分选方法发明专利申请代理费",
      [("PU-2", "planted", "publication_ip on the provincial grant, whose budget has no such line")])
_pu3_invoice = invoice_number(VENDORS["HUACE"], d("2025-05-06"))
plant(LIQING, G, "testing", "HUACE", 4_860_000, "2025-05-12", "电芯热滥用安全委托检测（GB 38031）",
      [("PU-3", "planted", "invoice charged in full to the national grant ...")],
      invoice_date=d("2025-05-06"), invoice=_pu3_invoice)
plant(LIQING, L, "testing", "HUACE", 4_860_000, "2025-05-14", "退役电芯热滥用安全委托检测",
      [("PU-3", "planted", "... and the same invoice again in full to the provincial grant (200%)"),
       ("AN-1", "side effect", "second copy of the doubly charged invoice")],
      invoice_date=d("2025-05-06"), invoice=_pu3_invoice)
plant(JHUT, G, "expert_consultation", "KECHENG", yuan(6_200), "2025-04-16",
      "专家咨询费：电池热失控机理研究进展咨询（范晓光，2天）",
      [("PU-4", "planted", "expert fee 3,100.00 per day for a non-academician, above the 2,400.00 cap")],
      payee="范晓光", expert="范晓光", expert_days=2)
plant(JHUT, G, "expert_consultation", "KECHENG", yuan(3_600), "2025-04-16",
      "专家咨询费：电池热失控机理研究进展咨询（钟振邦院士，1天）",
      [("PU-4", "control", "academician at exactly 3,600.00 per day: at the cap, must not be flagged")],
      payee="钟振邦", expert="钟振邦", expert_days=1, academician=True)

# B. Budget
plant(JUNCHI, G, "materials", "JIALIAN", 6_890_000, "2025-07-16", "电池包气密性检测仪（1台）",
      [("BR-4", "planted", "a 68,900.00 instrument booked as materials instead of equipment")])
plant(LIQING, L, "fuel_power", "NENGTOU", 6_286_257, "2026-09-16", "梯次利用储能示范线电费（2026年二、三季度补缴）", [])
expect(f"BR-2:{LOCAL.id}:fuel_power", "planted",
       "the provincial grant's fuel_power spending passes its 120,000.00 budget line")

# C. Time
plant(LIQING, G, "materials", "SAILONG", 3_127_450, "2024-04-16", "软包铝塑膜（153μm）备货",
      [("TP-1", "planted", "invoice dated 2023-12-20, before the national grant's period (2024-01-01)")],
      invoice_date=d("2023-12-20"))
plant(DHUST, G, "testing", "HUACE", 2_365_000, "2026-11-06", "BMS算法结题补充验证委托测试",
      [("TP-1", "planted", "invoiced 2026-10-30 and paid 2026-11-06: after the national grant's end "
                           "(2026-06-30) and after end + 120 days (2026-10-28)")],
      invoice_date=d("2026-10-30"))
SPIKE = [
    plant(LIQING, G, "equipment", "RUITUO", 161_840_000, "2026-06-12", "电芯化成分容柜（512通道）", []),
    plant(LIQING, G, "equipment", "RUITUO", 97_865_000, "2026-06-23", "软包电芯激光焊接工作站", []),
    plant(LIQING, G, "materials", "GUYUAN", 43_682_000, "2026-05-13", "高镍三元正极材料NCM811集中采购（4吨）", []),
    plant(LIQING, G, "materials", "TANGU", 41_256_000, "2026-06-03", "硅碳负极材料集中采购（2吨）", []),
    plant(LIQING, G, "materials", "LIHUI", 39_874_000, "2026-06-16", "低温电解液集中采购（3吨）", []),
    plant(JUNCHI, G, "equipment", "HENGCHI", 118_230_000, "2026-06-09", "电池包综合性能测试台架", []),
    plant(JUNCHI, G, "testing", "BEICHEN", 26_845_000, "2026-05-20", "示范样车结题前集中道路试验服务", []),
    plant(JUNCHI, G, "testing", "HUACE", 25_317_000, "2026-06-24", "电池系统结题前集中委托检测", []),
    plant(JIPBS, G, "equipment", "RUITUO", 72_490_000, "2026-06-05", "大型电池包燃烧及热扩散试验舱", []),
]
expect(f"TP-2:{NATIONAL.id}", "planted",
       "national grant: the purchases marked TP-2 put more than 25% of all its spending into its last "
       "60 days (2026-05-02..2026-06-30)")

# D. Flow integrity: disbursements, below.

# E. Transaction analytics
_dup = plant(JUNCHI, G, "testing", "HUACE", 5_874_000, "2025-03-12", "电池包挤压及浸水安全委托检测", [])
plant(JUNCHI, G, "testing", "HUACE", 5_874_000, "2025-04-02", "电池包挤压及浸水安全委托检测",
      [("AN-1", "planted", "the same invoice, vendor and amount paid a second time three weeks later")],
      invoice_date=_dup.invoice_date, invoice=_dup.invoice)
plant(JIPBS, G, "materials", "SHIJITONG", 1_248_650, "2025-05-20", "热电偶及数据采集耗材",
      [("AN-1", "planted", "same vendor, amount and date as the next line, another invoice number")],
      requester="谢婷")
plant(JIPBS, G, "materials", "SHIJITONG", 1_248_650, "2025-05-20", "热电偶及数据采集耗材（补购）",
      [("AN-1", "planted", "same vendor, amount and date as the previous line, another invoice number")],
      requester="谢婷")
for _day, _amount in (("2025-11-17", 8_642_000), ("2025-11-18", 9_135_000), ("2025-11-20", 7_896_000),
                      ("2025-11-21", 8_870_000)):
    plant(LIQING, G, "materials", "RUITUO", _amount, _day, "模组装配工装夹具（分批采购）",
          [("AN-2", "planted", "one of four purchases from one vendor by one requester within 5 days, each "
                               "below 100,000.00, together 345,430.00")], requester="马骏")
for _day, _amount in (("2025-10-13", 9_685_000), ("2025-11-05", 9_842_000), ("2025-12-02", 9_916_000)):
    plant(JHUT, G, "equipment", "ZHONGKE", _amount, _day, "电化学工作站及配件",
          [("AN-3", "planted", "one of three payments in [95,000, 100,000) to one vendor, one approver, "
                               "in 2025 Q4")], requester="杨帆")
for _day, _amount, _text in (("2024-06-18", 3_000_000, "BMS大数据平台算力服务费（2024年上半年）"),
                             ("2024-10-15", 4_500_000, "BMS大数据平台算力服务费（2024年下半年）"),
                             ("2025-03-11", 2_800_000, "电池运行数据清洗与标注服务费"),
                             ("2025-06-17", 5_200_000, "BMS大数据平台算力服务费（2025年上半年）"),
                             ("2025-11-11", 3_600_000, "BMS大数据平台算力服务费（2025年下半年）"),
                             ("2026-03-17", 4_000_000, "云端SOH模型训练算力服务费")):
    plant(DHUST, G, "other_direct", "YUNFAN", _amount, _day, _text, [])
expect("AN-4:V-YUNFAN", "planted", "all six payments to 合肥云帆数据科技 are whole thousands of yuan")
plant(JUNCHI, G, "testing", "BEICHEN", 4_263_580, "2025-11-15", "电池包低温充电性能委托测试",
      [("AN-6", "planted", "paid on Saturday 2025-11-15")])
plant(JHUT, G, "materials", "SHIJITONG", 1_867_340, "2025-10-03", "高纯试剂及标准气体",
      [("AN-6", "planted", "paid on 2025-10-03, during the National Day holiday")])
plant(JHUT, G, "testing", "HUACE", 3_958_210, "2025-06-10", "热失控气体成分色谱-质谱委托分析",
      [("AN-7", "planted", "booked (voucher_date 2025-07-25) 45 days after the payment")],
      voucher=d("2025-07-25"))
plant(JIPBS, G, "testing", "BEICHEN", 5_371_930, "2025-08-12", "热扩散试验高速摄像及气体分析委托服务",
      [("AN-7", "planted", "paid 2025-08-12, 12 days before its invoice date 2025-08-24")],
      invoice_date=d("2025-08-24"))
for _day, _amount in (("2024-09-10", 12_640_000), ("2025-03-19", 13_875_000)):
    plant(LIQING, G, "materials", "LIDA", _amount, _day, "电池级碳酸锂采购", [])
expect("AN-8:V-LIDA", "planted", "vendor 宜春锂达贸易's legal representative 周志强 is the legal "
                                 "representative (and an approver) of member 宜春锂源")
for _day, _amount in (("2024-11-19", 4_682_500), ("2025-09-23", 5_394_800)):
    plant(DHUST, G, "testing", "DONGLI", _amount, _day, "BMS算法第三方验证技术服务", [])
expect("AN-8:V-DONGLI", "planted", "vendor 上海东理新能源's bank account is member 东海理工大学's own account")
for _day, _amount in (("2025-09-10", 8_734_000), ("2025-10-28", 6_219_500)):
    plant(JIPBS, G, "equipment", "RUIKE", _amount, _day, "电池内阻及绝缘检测仪", [])
expect("AN-8:V-RUIKE", "planted", "vendor 常州锐科检测仪器 was registered 2025-08-01, 40 days before "
                                  "its first payment")
plant(LIQING, G, "testing", "HUACE", 3_865_120, "2024-12-10", "电芯循环寿命及倍率性能委托测试",
      [("AN-9", "planted", "requester and approver are the same person (黄志刚)")],
      requester="黄志刚", approver="黄志刚")
plant(JIPBS, G, "expert_consultation", "KECHENG", yuan(2_200), "2025-12-09",
      "专家咨询费：动力电池安全测试标准草案评审（蔡明，1天）",
      [("AN-9", "planted", "the approver (蔡明, the institute's deputy director) is the payee; PU-4's second "
                           "clause (expert fee paid to a member of the project team) fits too")],
      payee="蔡明", expert="蔡明", expert_days=1, approver="蔡明", requester="蒋涛")

# Spending on the provincial grant by the automaker, which has no task in its project.
for _day, _amount, _text in (("2025-10-22", 8_653_000, "电池包梯次利用拆解测试"),
                             ("2025-11-26", 6_942_170, "退役电池包再制造评估委托服务")):
    plant(JUNCHI, L, "testing", "BEICHEN", _amount, _day, _text,
          [("PU-2", "planted", "骏驰 spends the provincial grant but has no task in its project")])

# --- Ordinary expenditures ------------------------------------------------------------------------

N0, N1 = d("2024-04-10"), d("2026-06-30")   # national spending window
L0, L1 = d("2025-03-12"), d("2026-11-20")   # provincial spending window (grant runs to 2027)

spread(LIQING, G, "equipment", 1, 180_000, 420_000,
       [("电芯真空烘烤箱（{n}腔）", "RUITUO"), ("叠片机工装升级改造", "RUITUO"),
        ("电芯X射线在线检测仪", "HENGCHI")], d("2024-04-01"), d("2025-12-31"))
spread(LIQING, G, "materials", 32, 16_000, 240_000,
       [("高镍三元正极材料NCM811采购（{n}00kg）", "GUYUAN"), ("单晶高镍正极材料小试样品（{n}0kg）", "GUYUAN"),
        ("硅碳负极材料SiC-450采购（{n}00kg）", "TANGU"), ("碳纳米管导电浆料（{n}00kg）", "TANGU"),
        ("低温型电解液（LiFSI体系，{n}00kg）", "LIHUI"), ("PVDF粘结剂及NMP溶剂（{n}00kg）", "LIHUI"),
        ("湿法PE隔膜及陶瓷涂覆隔膜（{n}万m²）", "SAILONG"), ("软包铝塑膜（153μm，{n}000m²）", "SAILONG"),
        ("铜箔及涂炭铝箔集流体（{n}00kg）", "SHIJITONG"), ("电芯极耳及顶盖组件（{n}000套）", "JINGGONG")],
       d("2024-04-01"), N1)
spread(LIQING, G, "testing", 8, 15_000, 180_000,
       [("电芯针刺、过充、热箱滥用委托检测（{n}0只）", "HUACE"), ("电芯循环寿命及倍率性能委托测试（{n}0只）", "HUACE"),
        ("极片与隔膜SEM/XRD表征委托分析", "HUACE"), ("极片冲切模具精密加工（{n}套）", "JINGGONG"),
        ("模组结构件CNC加工（{n}0件）", "JINGGONG")], d("2024-04-01"), N1)
quarterly(LIQING, G, "fuel_power", 18_000, 52_000, "中试线及化成车间电费（{y}年第{q}季度）", "NENGTOU",
          d("2024-04-01"), N1)
spread(LIQING, G, "travel_conference_international", 4, 6_000, 38_000,
       [("参加中国国际电池技术交流会（CIBF）差旅费", "SHANGLV"), ("课题年度技术交流会会务费", "HUIWU"),
        ("赴合肥开展整车匹配联调差旅费", "SHANGLV")], d("2024-04-01"), d("2025-08-29"))
spread(LIQING, G, "publication_ip", 4, 5_000, 22_000,
       [("发明专利申请代理费（高镍电芯热失控抑制结构等{n}件）", "HUAZHI")], d("2024-04-01"), N1)
quarterly(LIQING, G, "labour", 42_000, 88_000, "项目聘用研发辅助人员劳务费（{y}年第{q}季度）", "BOCAI",
          d("2024-04-01"), N1)
experts(LIQING, G, 2, N0, N1)
spread(LIQING, G, "other_direct", 5, 8_000, 60_000,
       [("废旧电芯及实验废液危废处置费", "LVYUAN"), ("样品电芯运输及保险费", "HAIDE")], d("2024-04-01"), N1)

spread(JUNCHI, G, "equipment", 1, 260_000, 380_000, [("电池包振动试验台控制器升级", "HENGCHI")], N0,
       d("2025-06-30"))
spread(JUNCHI, G, "materials", 16, 15_000, 170_000,
       [("电池包箱体结构件样件（{n}套）", "JIALIAN"), ("液冷板及热管理管路样件（{n}0套）", "JIALIAN"),
        ("高压线束及连接器样件（{n}0套）", "JIALIAN"), ("示范样车改制零部件（第{n}批）", "JIALIAN"),
        ("BMS从控板样件（{n}0块）", "XINLIAN")], N0, N1)
spread(JUNCHI, G, "testing", 7, 30_000, 200_000,
       [("电池系统高低温充放电性能委托测试", "BEICHEN"), ("电池包IP67防护及机械冲击委托测试", "BEICHEN"),
        ("示范样车高寒地区标定试验服务", "BEICHEN"), ("电池包挤压及浸水安全委托检测", "HUACE")],
       N0, d("2026-03-31"))
quarterly(JUNCHI, G, "fuel_power", 12_000, 38_000, "电池包测试中心电费分摊（{y}年第{q}季度）", "SELF", N0, N1)
spread(JUNCHI, G, "travel_conference_international", 4, 8_000, 40_000,
       [("示范运营车辆跟踪调研差旅费", "SHANGLV"), ("赴常州开展电芯联合开发差旅费", "SHANGLV")],
       N0, d("2025-08-29"))
spread(JUNCHI, G, "publication_ip", 2, 6_000, 18_000, [("发明专利申请代理费（电池包热管理结构）", "HUAZHI")],
       N0, N1)
quarterly(JUNCHI, G, "labour", 30_000, 78_000, "项目聘用试验辅助人员劳务费（{y}年第{q}季度）", "YINGCAI", N0, N1)
experts(JUNCHI, G, 1, N0, N1)
spread(JUNCHI, G, "other_direct", 3, 10_000, 48_000, [("示范样车运输及临时行驶保险费", "HAIDE")], N0, N1)

M1 = d("2025-06-20")
spread(LIYUAN, G, "equipment", 1, 150_000, 290_000, [("气氛烧结炉温控系统改造", "RUITUO")], N0, d("2024-12-31"))
spread(LIYUAN, G, "materials", 16, 20_000, 180_000,
       [("NCM811前驱体采购（{n}00kg）", "GUYUAN"), ("电池级单水氢氧化锂（{n}00kg）", "LIHUI"),
        ("补锂添加剂原料（{n}0kg）", "SHIJITONG"), ("包覆用纳米氧化铝（{n}0kg）", "SHIJITONG")], N0, M1)
spread(LIYUAN, G, "testing", 5, 15_000, 88_000,
       [("正极材料ICP、粒度、比表面委托检测", "HUACE"), ("材料批次一致性委托检测（{n}批）", "HUACE")], N0, M1)
spread(LIYUAN, G, "travel_conference_international", 2, 5_000, 16_000,
       [("赴常州开展材料验证对接差旅费", "SHANGLV")], N0, M1)
spread(LIYUAN, G, "publication_ip", 1, 6_000, 12_000, [("发明专利申请代理费（补锂添加剂）", "HUAZHI")], N0, M1)
experts(LIYUAN, G, 1, N0, M1)
spread(LIYUAN, G, "other_direct", 2, 8_000, 30_000, [("焙烧尾气处理耗材及危废处置费", "LVYUAN")], N0, M1)

spread(JHUT, G, "equipment", 1, 200_000, 300_000, [("同步热分析仪（STA）", "ZHONGKE")], N0, d("2024-12-31"))
spread(JHUT, G, "materials", 18, 5_000, 60_000,
       [("扣式电池壳、锂片及隔膜等电化学实验耗材", "SHIJITONG"), ("高纯试剂及标准气体", "SHIJITONG"),
        ("模型电池制备用正负极材料", "GUYUAN"), ("热电偶及数据采集耗材（{n}0套）", "SHIJITONG")], N0, N1)
spread(JHUT, G, "testing", 10, 10_000, 120_000,
       [("绝热加速量热（ARC）委托测试（{n}组）", "HUACE"), ("热失控气体成分色谱-质谱委托分析", "HUACE"),
        ("多物理场模型验证用样品加工", "JINGGONG")], N0, N1)
quarterly(JHUT, G, "fuel_power", 8_000, 26_000, "实验室电费分摊（{y}年第{q}季度）", "SELF", N0, N1)
spread(JHUT, G, "travel_conference_international", 5, 5_000, 32_000,
       [("赴德国参加国际电池安全研讨会（国际合作交流）", "SHANGLV"), ("参加全国电化学大会差旅费", "SHANGLV"),
        ("课题组赴常州中试线开展测试差旅费", "SHANGLV")], N0, d("2025-08-29"))
spread(JHUT, G, "publication_ip", 6, 3_000, 15_000,
       [("论文版面费（{n}篇）", "KEWEN"), ("发明专利申请费及代理费", "HUAZHI")], N0, N1)
quarterly(JHUT, G, "labour", 40_000, 90_000, "研究生及博士后助研劳务费（{y}年第{q}季度）", "SELF", N0, N1)
experts(JHUT, G, 2, N0, N1)
spread(JHUT, G, "other_direct", 2, 6_000, 25_000, [("实验室危险化学品废弃物处置费", "LVYUAN")], N0, N1)

spread(DHUST, G, "equipment", 1, 120_000, 180_000, [("BMS硬件在环（HIL）仿真机柜", "HENGCHI")], N0,
       d("2024-12-31"))
spread(DHUST, G, "materials", 14, 5_000, 50_000,
       [("BMS主控开发板及电流传感器（{n}0套）", "XINLIAN"), ("电压采集芯片及隔离通信模块（{n}00片）", "XINLIAN"),
        ("老化测试用商用电芯样品（{n}0只）", "SHIJITONG")], N0, N1)
spread(DHUST, G, "testing", 8, 10_000, 90_000,
       [("电芯循环老化委托测试（{n}组）", "HUACE"), ("BMS功能安全评估委托测试", "HUACE")], N0, N1)
quarterly(DHUST, G, "fuel_power", 6_000, 20_000, "实验室电费分摊（{y}年第{q}季度）", "SELF", N0, N1)
spread(DHUST, G, "travel_conference_international", 4, 5_000, 30_000,
       [("参加国际电池管理系统学术会议差旅费", "SHANGLV"), ("课题进展交流会会务费", "HUIWU")], N0,
       d("2025-08-29"))
spread(DHUST, G, "publication_ip", 5, 3_000, 14_000,
       [("论文版面费", "KEWEN"), ("软件著作权登记及专利代理费", "HUAZHI")], N0, N1)
quarterly(DHUST, G, "labour", 35_000, 80_000, "研究生助研劳务费（{y}年第{q}季度）", "SELF", N0, N1)
experts(DHUST, G, 2, N0, N1)
spread(DHUST, G, "other_direct", 2, 5_000, 20_000, [("数据采集终端流量及存储服务费", "XINLIAN")], N0, N1)

spread(JIPBS, G, "equipment", 1, 300_000, 420_000, [("电池热失控多参数同步监测系统", "HENGCHI")], N0,
       d("2024-12-31"))
spread(JIPBS, G, "materials", 14, 10_000, 80_000,
       [("滥用试验用耐高温防护板（{n}0套）", "BAIRUN"), ("全氟己酮灭火介质（{n}00kg）", "BAIRUN"),
        ("试验用电芯及模组样品（{n}0只）", "SHIJITONG")], N0, N1)
spread(JIPBS, G, "testing", 8, 20_000, 150_000,
       [("标准验证用电池包第三方比对检测", "HUACE"), ("热扩散试验高速摄像及气体分析委托服务", "BEICHEN")],
       N0, N1)
quarterly(JIPBS, G, "fuel_power", 10_000, 36_000, "安全试验中心电费（{y}年第{q}季度）", "NENGTOU", N0, N1)
spread(JIPBS, G, "travel_conference_international", 4, 5_000, 28_000,
       [("参加全国汽车标准化技术委员会电动车辆分委会会议差旅费", "SHANGLV"), ("标准研讨会会务费", "HUIWU")],
       N0, d("2025-08-29"))
spread(JIPBS, G, "publication_ip", 3, 4_000, 16_000, [("团体标准编制文献检索及出版费", "KEWEN")], N0, N1)
quarterly(JIPBS, G, "labour", 38_000, 85_000, "项目聘用试验人员劳务费（{y}年第{q}季度）", "BOCAI", N0, N1)
experts(JIPBS, G, 2, N0, N1)
spread(JIPBS, G, "other_direct", 4, 6_000, 40_000,
       [("燃烧试验残余物危废处置费", "LVYUAN"), ("试验样品运输费", "HAIDE")], N0, N1)

# Provincial grant: 锂擎, 江苏省动力电池安全研究院 and 东海理工大学 hold its tasks.
J0 = d("2025-10-20")   # the institute only starts spending here: its March money sat idle (TP-3)
spread(LIQING, L, "equipment", 1, 300_000, 390_000, [("退役电池包快速分选设备", "RUITUO")], L0, d("2025-12-31"))
spread(LIQING, L, "materials", 9, 20_000, 120_000,
       [("退役动力电池包采购（{n}套）", "LVYUAN"), ("梯次利用储能柜结构件（{n}套）", "JINGGONG")], L0, L1)
spread(LIQING, L, "testing", 3, 20_000, 90_000, [("退役电芯一致性筛选委托检测", "HUACE")], L0, L1)
quarterly(LIQING, L, "fuel_power", 9_000, 14_000, "梯次利用示范线电费（{y}年第{q}季度）", "NENGTOU", L0,
          d("2026-03-31"))
quarterly(LIQING, L, "labour", 30_000, 60_000, "梯次利用课题聘用人员劳务费（{y}年第{q}季度）", "BOCAI", L0, L1)
experts(LIQING, L, 1, L0, L1)
spread(LIQING, L, "other_direct", 2, 10_000, 45_000, [("退役电池包运输及危废转移费", "HAIDE")], L0, L1)
spread(JIPBS, L, "materials", 5, 10_000, 60_000, [("梯次利用储能单元安全试验耗材", "BAIRUN")], J0, L1)
spread(JIPBS, L, "testing", 4, 20_000, 110_000, [("梯次利用电池安全评估委托检测", "HUACE")], J0, L1)
quarterly(JIPBS, L, "fuel_power", 6_000, 9_000, "储能安全试验电费（{y}年第{q}季度）", "NENGTOU", J0,
          d("2026-03-31"))
quarterly(JIPBS, L, "labour", 30_000, 55_000, "梯次利用安全评估聘用人员劳务费（{y}年第{q}季度）", "BOCAI", J0, L1)
experts(JIPBS, L, 1, J0, L1)
spread(DHUST, L, "materials", 5, 8_000, 50_000, [("退役电池健康状态评估用传感器（{n}0套）", "XINLIAN")], L0, L1)
spread(DHUST, L, "testing", 5, 10_000, 80_000, [("退役电池老化机理委托测试", "HUACE")], L0, L1)
quarterly(DHUST, L, "labour", 20_000, 45_000, "梯次利用课题研究生助研劳务费（{y}年第{q}季度）", "SELF", L0, L1)
experts(DHUST, L, 1, L0, L1)
spread(DHUST, L, "other_direct", 2, 5_000, 20_000, [("电池运行数据存储服务费", "XINLIAN")], L0, L1)

# Final verification tests before acceptance. They take the national testing line past its original
# 3,600,000.00, which is allowed only because the funder raised it to 4,000,000.00 on 2025-09-10.
ADJUSTMENT_CONTROL = [
    plant(LIQING, G, "testing", "HUACE", 16_845_230, "2025-11-04", "结题验收前电芯安全性能第三方复测", []),
    plant(JIPBS, G, "testing", "HUACE", 14_390_675, "2026-01-13", "标准验证用电池包第三方复测", []),
    plant(LIQING, G, "testing", "HUACE", 12_738_120, "2026-03-10", "电芯循环寿命结题复测（{n}0只）".format(n=6), []),
    plant(JUNCHI, G, "testing", "BEICHEN", 11_977_465, "2026-04-14", "电池系统结题前高低温性能复测", []),
]
expect(f"BR-2:{NATIONAL.id}:testing", "control",
       "national testing spending passes the original 3,600,000.00 line only after the approved adjustment "
       "to 4,000,000.00 (2025-09-10): must not be flagged")

# Indirect costs, booked at the end of each year (and at the national grant's end).
NATIONAL_YEARS = [(d("2024-01-01"), d("2024-12-31"), "2024-12-24"), (d("2025-01-01"), d("2025-12-31"), "2025-12-23"),
                  (d("2026-01-01"), d("2026-06-30"), "2026-06-29")]
for _member, _rate in ((LIQING, 20), (JUNCHI, 20), (JHUT, 22), (DHUST, 22), (JIPBS, 20)):
    indirect(_member, G, NATIONAL_YEARS, _rate, "{y}年度间接费用（管理费用及绩效支出）计提")
indirect(LIYUAN, G, [(d("2024-01-01"), d("2024-12-31"), "2024-12-24"),
                     (d("2025-01-01"), d("2025-06-30"), "2025-06-24")],
         20, "{y}年度间接费用（管理费用及绩效支出）计提")
for _member in (LIQING, JIPBS, DHUST):
    indirect(_member, L, [(d("2025-01-01"), d("2025-12-31"), "2025-12-23")], 20,
             "{y}年度间接费用（管理费用及绩效支出）计提")
plant(LIQING, L, "indirect", "SELF", 58_364_000, "2026-06-26", "2026年度间接费用（含绩效支出）一次性计提", [])
expect(f"BR-1:{LOCAL.id}", "planted", "indirect costs on the provincial grant pass 30% of its direct costs less "
                                      "equipment (the budget itself is within the cap)")

# One ledger entry typed wrong (digits transposed) and corrected by a reversal: the reversed event
# must be ignored by every rule.
_candidates = [e for e in EXPENDITURES if e.member is LIQING and e.grant is G and e.category == "materials"
               and d("2024-07-01") <= e.pay <= d("2024-12-20") and 20_000_00 <= e.amount < 50_000_00
               and str(e.amount)[0] > str(e.amount)[1] and not any(k.endswith(f":{e.uid}") for k in EXPECTED)]
CORRECTED = _candidates[0]
_digits = str(CORRECTED.amount)
MISTYPED = Exp(LIQING, G, CORRECTED.category, CORRECTED.vendor, int(_digits[1] + _digits[0] + _digits[2:]),
               CORRECTED.invoice_date, CORRECTED.pay, CORRECTED.voucher, CORRECTED.requester,
               CORRECTED.approver, CORRECTED.description, CORRECTED.invoice)
MISTYPED.reversed = True

# ---------------------------------------------------------------------------------------------
# Money flows: funds received, quarterly disbursements sized to the coming quarter's spending.

RECEIVED = [
    Flow("funds_received", NATIONAL, None, yuan(18_000_000), d("2024-03-20"), "中央财政拨款第一笔（2024年度）"),
    Flow("funds_received", LOCAL, None, yuan(3_000_000), d("2025-02-15"), "省级财政科技资金第一笔（2025年度）"),
    Flow("funds_received", NATIONAL, None, yuan(12_000_000), d("2025-03-18"), "中央财政拨款第二笔（2025年度）"),
    Flow("funds_received", LOCAL, None, yuan(2_000_000), d("2026-02-12"), "省级财政科技资金第二笔（2026年度）"),
]
NATIONAL_SCHEDULE = ["2024-04-08", "2024-07-08", "2024-10-08", "2025-01-08", "2025-04-08", "2025-07-08",
                     "2025-10-09", "2026-01-08", "2026-04-08"]
LOCAL_SCHEDULE = ["2025-03-10", "2025-07-08", "2025-10-09", "2026-01-08", "2026-04-08", "2026-07-08", "2026-10-09"]
SCHEDULES = {
    (m, NATIONAL): NATIONAL_SCHEDULE for m in (JUNCHI, JHUT, DHUST, JIPBS)}
SCHEDULES[(LIQING, NATIONAL)] = ["2024-03-28"] + NATIONAL_SCHEDULE[1:]   # an advance: FL-3
SCHEDULES[(LIYUAN, NATIONAL)] = NATIONAL_SCHEDULE[:5]
for _member in (LIQING, JIPBS, DHUST):
    SCHEDULES[(_member, LOCAL)] = LOCAL_SCHEDULE
SCHEDULES[(JUNCHI, LOCAL)] = ["2025-09-15"]
# Deliberate departures from "the coming quarter's spending, rounded up to 10,000.00":
OVERRIDES = {
    (LIYUAN, NATIONAL, "2025-04-08"): ("add", yuan(150_000)),    # unspent at withdrawal, refunded
    (DHUST, NATIONAL, "2026-04-08"): ("add", yuan(80_000)),      # left unspent and never refunded: TP-4
    (JUNCHI, NATIONAL, "2026-04-08"): ("add", -yuan(60_000)),    # spends more than it received: BR-3
    (JIPBS, LOCAL, "2025-03-10"): ("set", yuan(400_000)),        # sits idle for 224 days: TP-3
}
DISBURSEMENTS = []
_disbursement_numbers = {}


def disbursement_reference(date):
    number = _disbursement_numbers.get(date.year, 0) + 1
    _disbursement_numbers[date.year] = number
    return f"LG-BF-{date.year}-{number:03d}"


for (_member, _grant), _dates in SCHEDULES.items():
    _dates = [d(x) for x in _dates]
    _spent = sorted((e for e in EXPENDITURES if e.member is _member and e.grant is _grant), key=lambda e: e.pay)
    assert not _spent or _spent[0].pay >= _dates[0], (_member.key, _grant.id, _spent[0].pay)
    _balance = 0
    for _i, _date in enumerate(_dates):
        assert is_workday(_date), _date
        _until = _dates[_i + 1] if _i + 1 < len(_dates) else d("2099-12-31")
        _need = sum(e.amount for e in _spent if _date <= e.pay < _until)
        _amount = max(0, -(-(_need - _balance) // yuan(10_000)) * yuan(10_000))
        _override = OVERRIDES.get((_member, _grant, iso(_date)))
        if _override:
            _amount = _override[1] if _override[0] == "set" else _amount + _override[1]
        if _amount > 0:
            _task = NATIONAL_TASK[_member] if _grant is NATIONAL else LOCAL_TASK.get(_member)
            DISBURSEMENTS.append(Flow("funds_disbursed", _grant, _member, _amount, _date, None, _task))
        _balance += _amount - _need
# Planted disbursements.
_fl3 = [f for f in DISBURSEMENTS if f.member is LIQING and f.grant is NATIONAL and f.date == d("2024-03-28")][0]
expect(f"FL-3:{_fl3.uid}", "planted", "national money advanced to 锂擎 on 2024-03-28, before 宜春锂源's legal "
                                       "representative signed the agreement (2024-04-02)")
_fl1 = Flow("funds_disbursed", NATIONAL, LIYUAN, yuan(180_000), d("2025-08-12"), None, NATIONAL_TASK[LIYUAN])
DISBURSEMENTS.append(_fl1)
expect(f"FL-1:{_fl1.uid}", "planted", "180,000.00 paid to 宜春锂源 six weeks after it withdrew (2025-06-30), "
                                       "and still held more than 90 days after its exit")
_fl2 = [f for f in DISBURSEMENTS if f.member is JUNCHI and f.grant is LOCAL][0]
expect(f"FL-2:{_fl2.uid}", "planted", "provincial money paid to 骏驰, which has no task in the provincial project")
_tp3 = [f for f in DISBURSEMENTS if f.member is JIPBS and f.grant is LOCAL][0]
expect(f"TP-3:{_tp3.uid}", "planted", "400,000.00 paid to the institute on 2025-03-10 and untouched until "
                                       "2025-10-20 (224 days)")
DISBURSEMENTS.sort(key=lambda f: (f.date, f.grant.id, MEMBERS.index(f.member)))
for _flow in DISBURSEMENTS:
    _flow.reference = disbursement_reference(_flow.date)

REFUNDS = []


def balance(member, grant, until):
    paid = sum(f.amount for f in DISBURSEMENTS if f.member is member and f.grant is grant and f.date <= until)
    spent = sum(e.amount for e in EXPENDITURES if e.member is member and e.grant is grant and e.pay <= until)
    returned = sum(r.amount for r in REFUNDS if r.org is member and r.grant is grant and r.date <= until)
    return paid - spent - returned


_liyuan_refund = Refund(NATIONAL, LIYUAN, balance(LIYUAN, NATIONAL, d("2025-07-10")), d("2025-07-10"),
                        "退出联盟，课题2结余资金退回（宜锂源财〔2025〕21号）")
REFUNDS.append(_liyuan_refund)
for _member, _date in ((LIQING, "2026-07-21"), (JHUT, "2026-07-22"), (JIPBS, "2026-07-23")):
    _left = balance(_member, NATIONAL, d(_date))
    assert _left > 0, _member.key
    REFUNDS.append(Refund(NATIONAL, _member, _left, d(_date), "项目结题，结余资金退回"))
_fm_left = (sum(f.amount for f in RECEIVED if f.grant is NATIONAL)
            - sum(f.amount for f in DISBURSEMENTS if f.grant is NATIONAL))
FM_REFUND = Refund(NATIONAL, FUND_MANAGER, _fm_left, d("2026-07-27"), "项目结题，未拨付资金退回中央财政")
REFUNDS.append(FM_REFUND)
expect(f"TP-4:{DHUST.key}:{NATIONAL.id}", "planted",
       "东海理工大学 keeps an unspent national balance after the grant ended and never refunds it")
expect(f"BR-3:{JUNCHI.key}:{NATIONAL.id}", "planted",
       "骏驰 spends more of the national grant than was disbursed to it (its last tranche was 60,000.00 short)")
expect(f"TP-3:{_fl1.uid}", "side effect", "the 180,000.00 paid to the withdrawn 宜春锂源 is never spent")
expect(f"TP-4:{LIYUAN.key}:{NATIONAL.id}", "side effect",
       "the 180,000.00 paid to the withdrawn 宜春锂源 is never refunded")
expect(f"TP-3:{_fl2.uid}", "side effect", "骏驰 never spends the rounding remainder of its provincial disbursement")
_dhust_last = [f for f in DISBURSEMENTS if f.member is DHUST and f.grant is NATIONAL][-1]
expect(f"TP-3:{_dhust_last.uid}", "side effect", "the part of 东海理工大学's last national tranche it keeps (TP-4) "
                                                 "is idle too")

# ---------------------------------------------------------------------------------------------
# Outcomes, licences, revenue.

PATENT_ID = "OUT-PAT-2025-001"
SOFTWARE_ID = "OUT-SW-2025-001"
REVENUE_2025 = yuan(800_000)
REVENUE_2026 = yuan(1_250_000)
REVENUE_2026_SPLIT = {LIQING: 5000, JUNCHI: 2000, JHUT: 1200, DHUST: 900, JIPBS: 900}   # 宜春锂源 left out


def payments(total, shares):
    out = [(m, total * bp // 10000) for m, bp in shares.items() if bp]
    assert sum(a for _, a in out) == total
    return [{"org_id": m.id, "amount": money(a)} for m, a in out]


# ---------------------------------------------------------------------------------------------
# The steps: one signed submission each, in business-date order where it matters.

def by_member_and_phase(member, first, last):
    spent = [e for e in EXPENDITURES if e.member is member and first <= e.pay <= last]
    if member is LIQING and first <= MISTYPED.pay <= last:
        spent = [MISTYPED if e is CORRECTED else e for e in spent]
    refunds = [r for r in REFUNDS if r.org is member and first <= r.date <= last and r is not _liyuan_refund]
    return sorted(spent + refunds, key=lambda x: (x.date, x.uid))


def assign_voucher_references():
    for member in MEMBERS:
        spent = sorted((e for e in EXPENDITURES if e.member is member), key=lambda e: (e.voucher, e.pay, e.uid))
        month, number = None, 0
        for e in spent:
            if (e.voucher.year, e.voucher.month) != month:
                month, number = (e.voucher.year, e.voucher.month), random.randint(12, 160)
            number += random.randint(1, 9)
            e.reference = f"记-{e.voucher.year}-{e.voucher.month:02d}-{number:04d}"
    MISTYPED.reference = CORRECTED.reference


assign_voucher_references()

SIGN_DATES = {LIQING: "2024-01-22", JUNCHI: "2024-01-25", JHUT: "2024-01-29", DHUST: "2024-02-01",
              JIPBS: "2024-02-06", LIYUAN: "2024-04-02"}
KEY_LABELS = {"most": "科技部重点研发计划管理办公室业务密钥", "provincial": "省科技厅计划处业务密钥",
              "fundmanager": "依托单位资金管理密钥", "auditor": "联盟内部审计密钥"}


def org_event(org):
    fields = {"org_id": org.id, "name": org.name, "name_en": org.name_en, "kind": org.kind,
              "legal_representative": org.legal}
    if org.bank:
        fields["bank_account"] = org.bank
    return item("organisation_registered", **fields)


def key_event(name, org, roles, label):
    return item("key_registered", public_key=public_key_raw(name).hex(), org_id=org.id, roles=roles, label=label)


P1, P2, P3 = (d("2024-01-01"), d("2024-12-31")), (d("2025-01-01"), d("2025-06-30")), (d("2025-07-01"), AS_OF)


def disbursements_between(first, last, exclude=()):
    return [f for f in DISBURSEMENTS if first <= f.date <= last and f not in exclude]


STEPS = []   # (file stem, title, key name, [Item], expect_rejection)


def step(stem, title, key, items, expect_rejection=False):
    assert items, stem
    STEPS.append((stem, title, key, items, expect_rejection))


GENESIS = [org_event(SECRETARIAT), key_event("secretariat", SECRETARIAT, ["admin"], "联盟秘书处管理员密钥")]

step("01-members", "The secretariat registers 10 organisations, admits 6 members, registers 16 keys", "secretariat",
     [org_event(o) for o in ORGS if o is not SECRETARIAT]
     + [item("member_admitted", org_id=m.id, date=iso(m.admitted)) for m in sorted(MEMBERS, key=lambda m: m.admitted)]
     + [key_event(name, org, [role], KEY_LABELS[name]) for name, org, role in
        (("most", MOST, "funder"), ("provincial", PROVINCIAL, "funder"),
         ("fundmanager", FUND_MANAGER, "fund_manager"),
         ("auditor", AUDITOR, "auditor"))]
     + [key_event(f"signatory-{m.key}", m, ["signatory"], f"{m.name}法定代表人签署密钥") for m in MEMBERS]
     + [key_event(f"finance-{m.key}", m, ["member_finance"], f"{m.name}财务部门记账密钥") for m in MEMBERS])


def agreement_text():
    lines = [f"# {ALLIANCE_NAME}协议（2024年修订）", "",
             "示例文件：fundtrail 演示数据，所有单位、人员与数字均为虚构。", "",
             f"联盟编号：{ALLIANCE_ID}　　签订日期：{iso(AGREEMENT_DATE)}", "", "## 一、成员单位", ""]
    lines += [f"{i}. {m.name}（统一社会信用代码 {m.id}，法定代表人 {m.legal}）" for i, m in enumerate(MEMBERS, 1)]
    lines += ["", "## 二、技术创新目标", ""] + [f"{i}. {g}" for i, g in enumerate(GOALS, 1)]
    lines += ["", "## 三、任务分工", ""] + [f"- {m.name}：{TASKS[m]}" for m in MEMBERS]
    lines += ["", "## 四、成果归属（基点，10000 = 100%）", ""] + [f"- {m.name}：{bp}" for m, bp in OWNERSHIP.items()]
    lines += ["", "## 五、收益分配（基点）", ""] + [f"- {m.name}：{bp}" for m, bp in REVENUE.items()]
    lines += ["", "## 六、许可条款", "", LICENSING_TERMS, "",
              "## 七、经费管理", "",
              f"联盟委托{FUND_MANAGER.name}作为依托单位统一管理联盟承担的财政科技经费，按课题任务拨付成员单位；"
              "成员单位财务部门对本单位支出如实记账，接受联盟内部审计与主管部门监督。", "",
              "## 八、生效", "", "本协议经全体成员单位法定代表人签署后生效。", ""]
    return "\n".join(lines)


AGREEMENT_TEXT = agreement_text()
step("02-agreement", "The secretariat registers the alliance agreement (document hash, goals, tasks, shares)",
     "secretariat",
     [item("agreement_registered", agreement_id=AGREEMENT_ID, title=f"{ALLIANCE_NAME}协议（2024年修订）",
           document_hash=hashlib.sha256(AGREEMENT_TEXT.encode()).hexdigest(), goals=GOALS,
           tasks=[{"org_id": m.id, "description": TASKS[m]} for m in MEMBERS],
           ownership_shares=[{"org_id": m.id, "basis_points": bp} for m, bp in OWNERSHIP.items()],
           revenue_shares=[{"org_id": m.id, "basis_points": bp} for m, bp in REVENUE.items()],
           licensing_terms=LICENSING_TERMS, date=iso(AGREEMENT_DATE))])


def signature_step(member, number):
    step(f"{number:02d}-sign-{member.key}",
         f"{member.name} signs the agreement ({member.legal}, {SIGN_DATES[member]})",
         f"signatory-{member.key}",
         [item("agreement_signed", agreement_id=AGREEMENT_ID, org_id=member.id, signatory_name=member.legal,
               date=SIGN_DATES[member])])


for _number, _member in enumerate((LIQING, JUNCHI, JHUT, DHUST, JIPBS), start=3):
    signature_step(_member, _number)

step("08-governance", "The secretariat records the council, the expert committee and the executive secretariat",
     "secretariat",
     [item("governance_body_registered", body_id="BODY-COUNCIL", kind="decision_making", name="联盟理事会",
           member_org_ids=[m.id for m in MEMBERS], date=iso(AGREEMENT_DATE)),
      item("governance_body_registered", body_id="BODY-EXPERTS", kind="consultation", name="联盟专家委员会",
           member_org_ids=[JHUT.id, DHUST.id, JIPBS.id, LIQING.id], date=iso(AGREEMENT_DATE)),
      item("governance_body_registered", body_id="BODY-SECRETARIAT", kind="executive", name="联盟秘书处",
           member_org_ids=[SECRETARIAT.id], full_time_staff=6, date=iso(AGREEMENT_DATE))])
step("09-project-national", "The secretariat registers the national project and one task per member", "secretariat",
     [item("project_registered", project_id=NATIONAL_PROJECT, name="高比能高安全动力电池系统关键技术与示范应用",
           name_en="High-energy, high-safety power battery systems: key technologies and demonstration",
           agreement_id=AGREEMENT_ID)]
     + [item("task_assigned", task_id=NATIONAL_TASK[m], project_id=NATIONAL_PROJECT, org_id=m.id,
             description=TASKS[m]) for m in (LIQING, LIYUAN, JHUT, DHUST, JUNCHI, JIPBS)])
for _vendor in VENDORS_ALL.values():
    _vendor.item = Item("vendor_registered", None)
    _vendor.item.event = _vendor.event
step("10-vendors", f"The secretariat registers {len(VENDORS)} vendors and the members' internal accounts",
     "secretariat", [v.item for v in VENDORS_ALL.values() if v is not LATE_VENDOR])


def grant_event(grant):
    return item("grant_awarded", grant_id=grant.id, title=grant.title, funder_org_id=grant.funder.id,
                source_kind=grant.source, amount=money(grant.amount), period_start=iso(grant.start),
                period_end=iso(grant.end),
                budget=[{"category": c, "amount": money(a)} for c, a in grant.budget.items()],
                supervising_authority=grant.authority, project_id=grant.project, date=iso(grant.awarded))


NATIONAL_AWARD = grant_event(NATIONAL)
step("11-grant-national", "The MOST programme office awards the national key R&D grant (30,000,000.00 CNY)", "most",
     [NATIONAL_AWARD])
step("12-funds-received-2024", "The fund manager records the first central tranche", "fundmanager", [RECEIVED[0]])
step("13-advance-liqing", "The fund manager advances money to 锂擎 before the agreement is fully signed",
     "fundmanager", [_fl3])
signature_step(LIYUAN, 14)
step("15-disbursements-2024", "The fund manager disburses the 2024 quarterly tranches to the members",
     "fundmanager", disbursements_between(*P1, exclude=[_fl3]))
_number = 16
for _member in MEMBERS:
    step(f"{_number}-expenditures-2024-{_member.key}", f"{_member.name} finance books its 2024 expenditures",
         f"finance-{_member.key}", by_member_and_phase(_member, *P1))
    _number += 1
REJECTED = Exp(JUNCHI, NATIONAL, "testing", VENDORS["HUACE"], 2_846_000, d("2024-12-16"), d("2024-12-18"),
               d("2024-12-19"), "赵磊", "郑国强", "电芯循环寿命委托测试（代锂擎记账）",
               invoice_number(VENDORS["HUACE"], d("2024-12-16")), org=LIQING)
step(f"{_number}-rejected-cross-member", "骏驰's finance key tries to book an expenditure for 锂擎 (must be refused)",
     "finance-junchi", [REJECTED], expect_rejection=True)
_number += 1
step(f"{_number}-project-local", "The secretariat registers the provincial project and its three tasks",
     "secretariat",
     [item("project_registered", project_id=LOCAL_PROJECT, name="退役动力电池梯次利用与安全评估关键技术",
           name_en="Second-life use and safety assessment of retired power batteries", agreement_id=AGREEMENT_ID)]
     + [item("task_assigned", task_id=t, project_id=LOCAL_PROJECT, org_id=m.id, description=text)
        for (m, t), text in zip(LOCAL_TASK.items(), ["退役电池快速分选与梯次利用储能示范线（牵头）",
                                                     "梯次利用电池安全评估方法与试验验证",
                                                     "退役电池健康状态评估算法"])])
_number += 1
LOCAL_AWARD = grant_event(LOCAL)
step(f"{_number}-grant-local", "江苏省科学技术厅 awards the provincial grant (5,000,000.00 CNY)", "provincial",
     [LOCAL_AWARD])
_number += 1
step(f"{_number}-funds-received-2025", "The fund manager records the provincial money and the second central tranche",
     "fundmanager", RECEIVED[1:3])
_number += 1
step(f"{_number}-disbursements-2025h1", "The fund manager disburses the 2025 first-half tranches", "fundmanager",
     disbursements_between(*P2))
_number += 1
REVERSAL = Item("reversal", CORRECTED.pay, {})
for _member in MEMBERS:
    _items = by_member_and_phase(_member, *P2)
    if _member is LIQING:
        _items = [REVERSAL, CORRECTED] + _items
    step(f"{_number}-expenditures-2025h1-{_member.key}", f"{_member.name} finance books its 2025 H1 expenditures"
         + ("; corrects a mistyped 2024 entry by reversal" if _member is LIQING else ""),
         f"finance-{_member.key}", _items)
    _number += 1
PATENT = item("outcome_registered", outcome_id=PATENT_ID, kind="patent",
              title="一种高镍正极/硅碳负极软包电芯的热失控抑制结构及其制备方法", grant_id=NATIONAL.id,
              owners=[{"org_id": LIQING.id, "basis_points": 5000}, {"org_id": JHUT.id, "basis_points": 3000},
                      {"org_id": JIPBS.id, "basis_points": 2000}],
              date="2025-03-18", identifier=patent_number("202410998765"))
step(f"{_number}-outcome-patent", "The secretariat registers a patent of the national grant, two licences and "
     "its external sharing", "secretariat",
     [PATENT,
      item("licence_granted", licence_id="LIC-2025-001", outcome_id=PATENT_ID, licensee_name=JUNCHI.name,
           licensee_org_id=JUNCHI.id, exclusive=False, date="2025-04-10", terms="联盟成员内部非独占免费实施许可"),
      item("licence_granted", licence_id="LIC-2025-002", outcome_id=PATENT_ID, licensee_name="浙江海储能源科技有限公司",
           exclusive=False, date="2025-04-28", terms="非独占许可，许可期5年，入门费800,000.00元"),
      item("outcome_shared", outcome_id=PATENT_ID, recipient="长三角动力电池产业技术开放共享平台", date="2025-05-06",
           description="专利技术方案及热失控测试数据向联盟外开放共享")])
_number += 1
REVENUE_1 = item("revenue_distributed", outcome_id=PATENT_ID, total=money(REVENUE_2025),
                 payments=payments(REVENUE_2025, REVENUE), date="2025-05-20")
step(f"{_number}-revenue-2025", "The fund manager distributes the licence fee by the agreed revenue shares",
     "fundmanager", [REVENUE_1])
_number += 1
step(f"{_number}-withdrawal-liyuan", "宜春锂源 withdraws; 锂擎 takes over its task", "secretariat",
     [item("member_withdrawn", org_id=LIYUAN.id, date=iso(WITHDRAWN_DATE),
           reason="因企业战略调整申请退出联盟，经理事会审议同意"),
      item("task_assigned", task_id=TAKEOVER_TASK, project_id=NATIONAL_PROJECT, org_id=LIQING.id,
           description="课题2（续）：高镍正极材料及补锂添加剂开发（原宜春锂源承担部分）")])
_number += 1
step(f"{_number}-refund-liyuan", "宜春锂源 finance refunds its unspent national balance", "finance-liyuan",
     [_liyuan_refund])
_number += 1
step(f"{_number}-revoke-liyuan", "The secretariat revokes 宜春锂源's keys", "secretariat",
     [item("key_revoked", key_id=key_id(public_key_raw(f"{kind}-liyuan")), reason="成员单位已退出联盟")
      for kind in ("signatory", "finance")])
_number += 1
SOFTWARE = item("outcome_registered", outcome_id=SOFTWARE_ID, kind="software",
                title="电池健康状态（SOH）云端估计软件 V1.0", grant_id=NATIONAL.id,
                owners=[{"org_id": DHUST.id, "basis_points": 6000}, {"org_id": JUNCHI.id, "basis_points": 4000}],
                date="2025-07-15", identifier="2025SR1398276")
EXCLUSIVE = item("licence_granted", licence_id="LIC-2025-003", outcome_id=SOFTWARE_ID, licensee_name=JUNCHI.name,
                 licensee_org_id=JUNCHI.id, exclusive=True, date="2025-08-05", terms="独占许可，许可期10年")
step(f"{_number}-outcome-software", "The secretariat registers a software copyright, licensed exclusively to 骏驰",
     "secretariat", [SOFTWARE, EXCLUSIVE])
expect(f"AL-2:{SOFTWARE_ID}", "planted", "an outcome of the national grant licensed exclusively to a member and "
                                         "never shared outside the alliance within 365 days")
_number += 1
step(f"{_number}-vendors-2025", "The secretariat registers a new test-instrument vendor", "secretariat",
     [LATE_VENDOR.item])
_number += 1
ADJUSTMENT = item("budget_adjusted", grant_id=NATIONAL.id,
                  lines=[{"category": c, "amount": money(a)} for c, a in NATIONAL.adjustments[0][1].items()],
                  approved_by="科学技术部国家重点研发计划管理办公室（刘建华）",
                  approval_reference="国科重管批〔2025〕47号", date=iso(ADJUSTMENT_DATE))
step(f"{_number}-budget-adjustment", "The MOST programme office approves moving 400,000.00 from travel to testing",
     "most", [ADJUSTMENT])
_number += 1
step(f"{_number}-disbursements-2025h2-2026", "The fund manager records the 2026 provincial money and disburses the "
     "remaining tranches, including two it should not have", "fundmanager",
     sorted(disbursements_between(*P3) + [RECEIVED[3]], key=lambda f: (f.date, f.uid)))
_number += 1
for _member in MEMBERS:
    if _member is LIYUAN:
        continue
    step(f"{_number}-expenditures-2025h2-2026-{_member.key}",
         f"{_member.name} finance books its expenditures from 2025-07 on" +
         ("" if _member in (JUNCHI, DHUST) else " and refunds its national balance"),
         f"finance-{_member.key}", by_member_and_phase(_member, *P3))
    _number += 1
step(f"{_number}-refund-fundmanager", "The fund manager returns the undisbursed national money", "fundmanager",
     [FM_REFUND])
_number += 1
step(f"{_number}-licence-2026", "The secretariat records a second outside licence of the patent", "secretariat",
     [item("licence_granted", licence_id="LIC-2026-001", outcome_id=PATENT_ID, licensee_name="广东粤新储能系统有限公司",
           exclusive=False, date="2026-08-20", terms="非独占许可，许可期3年，许可费1,250,000.00元")])
_number += 1
REVENUE_2 = item("revenue_distributed", outcome_id=PATENT_ID, total=money(REVENUE_2026),
                 payments=payments(REVENUE_2026, REVENUE_2026_SPLIT), date="2026-09-15")
step(f"{_number}-revenue-2026", "The fund manager distributes the second licence fee (not by the agreed shares)",
     "fundmanager", [REVENUE_2])
expect(f"AL-1:{REVENUE_2.uid}", "planted",
       "锂擎 gets 50.00% instead of the agreed 35.00%, 宜春锂源 nothing instead of 10.00%")
_number += 1
step(f"{_number}-audit-findings", "The auditor records two findings", "auditor",
     [item("finding_recorded", finding_id="FND-2026-001", subject=f"grant:{NATIONAL.id}", severity="critical",
           text="抽查发现：合肥骏驰新能源汽车有限公司以国家重点研发计划经费采购超市购物卡（礼品卡）27张，"
                "计13,500.00元，属于禁止列支范围。已要求其调回该笔支出并以自有资金归还。"),
      item("finding_recorded", finding_id="FND-2026-002", subject=f"org:{LIYUAN.id}", severity="high",
           text="宜春锂源新材料科技有限公司于2025-06-30退出联盟后，依托单位仍于2025-08-12按原拨付计划向其拨付"
                "180,000.00元，至今未退回。建议依托单位立即追回并完善拨付前成员状态核验。")])

# ---------------------------------------------------------------------------------------------
# Reference checks of the misuse rules over what was generated (a slow, literal reading of
# RULES.md with the default policy, evaluated at AS_OF). Reversed events are ignored.

PU1_KEYWORDS = ["罚款", "罚金", "滞纳金", "赔偿", "违约金", "捐赠", "捐款", "赞助", "投资", "理财", "还款", "偿还",
                "个人", "购物卡", "礼品卡", "加油卡", "代金券", "礼品", "烟酒", "酒水", "白酒", "招待", "宴请", "娱乐",
                "fine", "penalty", "donation", "sponsor", "gift card", "alcohol", "entertainment"]
EQUIPMENT_WORDS = ["仪", "设备", "工作站", "试验台", "测试台", "台架", "试验箱", "烘箱"]


def indirect_cap(base):
    """2021 regime: 30% of the first 5M, 25% of 5M-10M, 20% above (base: direct less equipment)."""
    tiers = [(yuan(5_000_000), 30), (yuan(10_000_000), 25), (None, 20)]
    cap, lower = 0, 0
    for upper, percent in tiers:
        portion = max(0, (base if upper is None else min(base, upper)) - lower)
        cap += portion * percent // 100
        if upper is None or base <= upper:
            break
        lower = upper
    return cap


def reference_flags():
    flags = {}

    def flag(key, where, detail):
        flags.setdefault(key, (where, detail))

    spent = [e for e in EXPENDITURES if not e.reversed]
    tasks = {(NATIONAL_PROJECT, m) for m in MEMBERS} | {(LOCAL_PROJECT, m) for m in LOCAL_TASK}
    tasks.add((NATIONAL_PROJECT, LIQING))
    for e in spent:
        text = e.description.lower()
        if e.grant.government() and any(k in text for k in PU1_KEYWORDS):
            flag(f"PU-1:{e.uid}", e, "prohibited purpose")
        if e.category not in e.grant.budget or (e.grant.project, e.member) not in tasks:
            flag(f"PU-2:{e.uid}", e, "no such budget line or no task")
        if e.category == "expert_consultation":
            cap = ACADEMICIAN_CAP_FEN if e.academician else EXPERT_CAP_FEN
            if e.amount > cap * e.expert_days:
                flag(f"PU-4:{e.uid}", e, f"{grouped(e.amount // e.expert_days)} per day")
        if e.category != "equipment" and e.amount >= EQUIPMENT_THRESHOLD_FEN and any(
                w in e.description for w in EQUIPMENT_WORDS):
            flag(f"BR-4:{e.uid}", e, "equipment booked elsewhere")
        if (e.invoice_date < e.grant.start or e.invoice_date > e.grant.end or e.pay < e.grant.start
                or e.pay > plus(e.grant.end, LIQUIDATION_DAYS)):
            flag(f"TP-1:{e.uid}", e, "out of period")
        if not is_workday(e.pay):
            flag(f"AN-6:{e.uid}", e, f"paid {e.pay:%A}")
        if (e.voucher - e.pay).days > 30 or e.pay < e.invoice_date:
            flag(f"AN-7:{e.uid}", e, "backdated")
        if e.requester == e.approver or e.approver == e.payee:
            flag(f"AN-9:{e.uid}", e, "segregation of duties")
        if e.member is WITHDRAWN and e.pay > WITHDRAWN_DATE:
            flag(f"FL-1:spent:{e.uid}", e, "spent after exit")
    # PU-3 and AN-1: one invoice charged more than once.
    by_invoice = {}
    for e in spent:
        by_invoice.setdefault((e.vendor.tax_id, e.invoice), []).append(e)
    for charges in by_invoice.values():
        if len(charges) > 1:
            charged, invoiced = sum(c.amount for c in charges), max(c.amount for c in charges)
            if len({c.grant.id for c in charges}) > 1 and charged > invoiced:
                for c in charges:
                    flag(f"PU-3:{c.uid}", c, "invoice charged across grants")
            for c in charges[1:]:
                if c.amount == charges[0].amount:
                    flag(f"AN-1:{c.uid}", c, "duplicate payment")
    by_day = {}
    for e in spent:
        by_day.setdefault((e.vendor.id, e.amount, e.pay), []).append(e)
    for same in by_day.values():
        if len({e.invoice for e in same}) > 1:
            for e in same:
                flag(f"AN-1:{e.uid}", e, "same vendor, amount and day")
    # AN-2 split purchases, by vendor and by requester.
    groups = {}
    for e in spent:
        groups.setdefault(("vendor", e.vendor.id), []).append(e)
        groups.setdefault(("requester", e.member.key, e.requester), []).append(e)
    for window_list in (windows_over_threshold(g) for g in groups.values()):
        for window in window_list:
            for e in window:
                flag(f"AN-2:{e.uid}", e, "split purchase")
    # AN-3 just below the threshold, 3 per quarter by vendor or approver.
    below = {}
    for e in spent:
        if 95_000_00 <= e.amount < THRESHOLD_FEN:
            quarter = (e.pay.year, (e.pay.month - 1) // 3)
            below.setdefault(("vendor", e.vendor.id, quarter), []).append(e)
            below.setdefault(("approver", e.approver, quarter), []).append(e)
    for group in below.values():
        if len(group) >= 3:
            for e in group:
                flag(f"AN-3:{e.uid}", e, "just below threshold")
    # AN-4 round amounts: z-test against a generous 1% chance of a whole thousand.
    per_vendor = {}
    for e in spent:
        per_vendor.setdefault(e.vendor, []).append(e)
    for vendor, items in per_vendor.items():
        n, k, p = len(items), sum(1 for e in items if e.amount % 100_000 == 0), 0.01
        if n >= 5 and (k / n - p) / (p * (1 - p) / n) ** 0.5 > 1.96:
            flag(f"AN-4:{vendor.id}", vendor.item, f"{k} of {n} round")
    # AN-8 related parties.
    legal_names = {m.legal for m in MEMBERS} | {e.approver for e in spent}
    for vendor, items in per_vendor.items():
        first_paid = min(e.pay for e in items)
        if (vendor.legal in legal_names or (vendor.bank and vendor.bank in {m.bank for m in MEMBERS})
                or vendor.tax_id in {o.id for o in ORGS}
                or (vendor.registered and (first_paid - vendor.registered).days <= 90)):
            flag(f"AN-8:{vendor.id}", vendor.item, "related party")
    # B. Budget: line overruns in date order, indirect cap, overspend.
    for grant in GRANTS:
        running = {}
        for e in sorted((e for e in spent if e.grant is grant), key=lambda e: (e.pay, e.uid)):
            running[e.category] = running.get(e.category, 0) + e.amount
            limit = grant.budget_at(e.pay).get(e.category, 0)
            if e.category in grant.budget and running[e.category] > limit:
                flag(f"BR-2:{grant.id}:{e.category}", e, f"{grouped(running[e.category])} > {grouped(limit)}")
        base = sum(a for c, a in grant.budget.items() if c not in ("equipment", "indirect"))
        if grant.budget["indirect"] > indirect_cap(base):
            flag(f"BR-1:budget:{grant.id}", None, "budget above cap")
        indirect_total, direct_less_equipment = 0, 0
        for e in sorted((e for e in spent if e.grant is grant), key=lambda e: (e.pay, e.uid)):
            if e.category == "indirect":
                indirect_total += e.amount
                if indirect_total > indirect_cap(direct_less_equipment):
                    cap = indirect_cap(direct_less_equipment)
                    flag(f"BR-1:{grant.id}", e, f"{grouped(indirect_total)} > cap {grouped(cap)}")
            elif e.category != "equipment":
                direct_less_equipment += e.amount
        events = sorted([(f.date, 0, f) for f in RECEIVED if f.grant is grant]
                        + [(f.date, 1, f) for f in DISBURSEMENTS if f.grant is grant]
                        + [(r.date, 1, r) for r in REFUNDS if r.grant is grant and r.org is FUND_MANAGER],
                        key=lambda x: (x[0], x[1]))
        pool = 0
        for _, _, f in events:
            pool += f.amount if f in RECEIVED else -f.amount
            if pool < 0:
                flag(f"BR-3:pool:{grant.id}", f, "disbursed more than received")
        if sum(f.amount for f in RECEIVED if f.grant is grant) > grant.amount:
            flag(f"BR-3:received:{grant.id}", None, "received more than awarded")
        for member in MEMBERS:
            flows = sorted([(f.date, 0, f.amount) for f in DISBURSEMENTS if f.grant is grant and f.member is member]
                           + [(e.pay, 1, -e.amount) for e in spent if e.grant is grant and e.member is member]
                           + [(r.date, 1, -r.amount) for r in REFUNDS if r.grant is grant and r.org is member])
            money_left = 0
            for _, _, amount in flows:
                money_left += amount
                if money_left < 0:
                    flag(f"BR-3:{member.key}:{grant.id}", None, f"overspent by {grouped(-money_left)}")
                    break
    # C. Time.
    for grant in GRANTS:
        if grant.end < AS_OF:
            total = sum(e.amount for e in spent if e.grant is grant)
            for date_of in (lambda e: e.pay, lambda e: e.invoice_date):
                late = sum(e.amount for e in spent
                           if e.grant is grant and plus(grant.end, -59) <= date_of(e) <= grant.end)
                if late * 4 > total:
                    flag(f"TP-2:{grant.id}", NATIONAL_AWARD, f"{late * 100 // total}% in the last 60 days")
        for member in MEMBERS:
            lots = [[f.date, f.amount, f] for f in sorted(DISBURSEMENTS, key=lambda f: f.date)
                    if f.grant is grant and f.member is member]
            uses = sorted([(e.pay, e.amount) for e in spent if e.grant is grant and e.member is member]
                          + [(r.date, r.amount) for r in REFUNDS if r.grant is grant and r.org is member])
            for date, amount in uses:
                for lot in lots:
                    take = min(lot[1], amount)
                    if take and lot[0] <= date:
                        if (date - lot[0]).days > 180 and lot[1] > 0:
                            flag(f"TP-3:{lot[2].uid}", lot[2], "idle")
                        lot[1] -= take
                        amount -= take
                    if amount == 0:
                        break
            for lot in lots:
                if lot[1] > 0 and (AS_OF - lot[0]).days > 180:
                    flag(f"TP-3:{lot[2].uid}", lot[2], f"{grouped(lot[1])} idle")
            if plus(grant.end, 30) < AS_OF and balance_after(member, grant) > 0:
                flag(f"TP-4:{member.key}:{grant.id}", None, f"{grouped(balance_after(member, grant))} unreturned")
    # D. Flow integrity.
    signed_by = {m: d(SIGN_DATES[m]) for m in MEMBERS}
    for f in DISBURSEMENTS:
        active = f.member.admitted <= f.date and not (f.member is WITHDRAWN and f.date > WITHDRAWN_DATE)
        if not active:
            flag(f"FL-1:{f.uid}", f, "recipient not a member")
        if (f.grant.project, f.member) not in tasks:
            flag(f"FL-2:{f.uid}", f, "no task")
        members_then = [m for m in MEMBERS
                        if m.admitted <= f.date and not (m is WITHDRAWN and f.date > WITHDRAWN_DATE)]
        if f.grant.government() and any(signed_by[m] > f.date for m in members_then):
            flag(f"FL-3:{f.uid}", f, "agreement not in force")
    # F. The alliance.
    for distribution, split in ((REVENUE_1, REVENUE), (REVENUE_2, REVENUE_2026_SPLIT)):
        if any(abs(split.get(m, 0) - REVENUE[m]) > 50 for m in MEMBERS):
            flag(f"AL-1:{distribution.uid}", distribution, "revenue split differs")
    for outcome, shared_on, exclusive_member in ((PATENT_ID, d("2025-05-06"), False), (SOFTWARE_ID, None, True)):
        registered = d("2025-03-18") if outcome == PATENT_ID else d("2025-07-15")
        if exclusive_member or (shared_on is None and (AS_OF - registered).days > 365) or (
                shared_on and (shared_on - registered).days > 365):
            flag(f"AL-2:{outcome}", SOFTWARE if outcome == SOFTWARE_ID else PATENT, "outcome not shared")
    return flags


def balance_after(member, grant):
    return balance(member, grant, AS_OF)


# Budgets must hold everywhere except where planted, and the planted figures must be what the
# README says.
for _member in MEMBERS:
    expect(f"AN-8:{_member.self_vendor.id}", "side effect",
           f"{_member.name}'s internal account shares its tax id (the member's own code): indirect costs"
           + ("" if _member in (LIQING, LIYUAN, JIPBS) else ", payroll and utility allocations")
           + " are booked against it")


def check():
    flags = reference_flags()
    planted_expected = {k for k, (_, kind, _) in EXPECTED.items() if kind != "control"}
    controls = {k for k, (_, kind, _) in EXPECTED.items() if kind == "control"}
    missing = sorted(planted_expected - set(flags))
    unexpected = sorted(set(flags) - planted_expected)
    hit_controls = sorted(controls & set(flags))
    problems = [f"missing flag {k}" for k in missing] + [f"unplanted flag {k}: {flags[k][1]} at "
                                                          f"{getattr(flags[k][0], 'uid', None)}" for k in unexpected]
    problems += [f"control raised {k}" for k in hit_controls]
    return flags, problems


# ---------------------------------------------------------------------------------------------
# Writing.

def dump(event):
    return json.dumps(event, ensure_ascii=False, separators=(", ", ": "))


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def main():
    # Sequence numbers: 1 is ledger_genesis (written by `fundtrail init`), then the genesis file,
    # then every accepted step in order.
    sequence = 1
    for n, it in enumerate(GENESIS, start=1):
        sequence += 1
        it.file, it.line, it.sequence = f"{STEPS_DIR}/00-genesis.jsonl", n, sequence
    for stem, _, _, items, rejected in STEPS:
        for n, it in enumerate(items, start=1):
            it.file, it.line = f"{STEPS_DIR}/{stem}.jsonl", n
            if not rejected:
                sequence += 1
                it.sequence = sequence
    total_events = sequence
    REVERSAL.fields = {"target_sequence": MISTYPED.sequence,
                       "reason": f"金额录入错误：应为{grouped(CORRECTED.amount)}元，误录为{grouped(MISTYPED.amount)}元；"
                                 f"原凭证{CORRECTED.reference}不变，已按正确金额重新记录"}
    # Every accepted item lands in exactly one file.
    for it in EXPENDITURES + DISBURSEMENTS + RECEIVED + REFUNDS:
        assert it.file is not None, (it.type, it.uid)

    flags, problems = check()
    if problems:
        sys.exit("generate.py: the planted cases do not come out as documented:\n  " + "\n  ".join(problems))

    write(HERE / "agreement.md", AGREEMENT_TEXT)
    write(HERE / STEPS_DIR / "00-genesis.jsonl", "".join(dump(it.event()) + "\n" for it in GENESIS))
    for stem, _, _, items, _ in STEPS:
        write(HERE / STEPS_DIR / f"{stem}.jsonl", "".join(dump(it.event()) + "\n" for it in items))
    manifest = {
        "title": f"{ALLIANCE_NAME} ({ALLIANCE_NAME_EN})",
        "alliance": {"id": ALLIANCE_ID, "name": ALLIANCE_NAME, "name_en": ALLIANCE_NAME_EN, "date": iso(FOUNDED)},
        "operator_key": "keys/operator.pem",
        "genesis": f"{STEPS_DIR}/00-genesis.jsonl",
        "steps": [dict({"title": title, "key": f"keys/{key}.pem", "file": f"{STEPS_DIR}/{stem}.jsonl"},
                       **({"expect_rejection": True} if rejected else {}))
                  for stem, title, key, _, rejected in STEPS],
        "showcase_grant": NATIONAL.id,
    }
    write(HERE / "demo.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    write(HERE / "README.md", readme(flags, total_events))
    print(f"wrote {len(STEPS)} steps, {total_events} events ({len([e for e in EXPENDITURES])} expenditures), "
          f"{sum(1 for v in EXPECTED.values() if v[1] == 'planted')} planted flags")


RULE_NAMES = {
    "PU-1": "prohibited use", "PU-2": "unrelated to project", "PU-3": "double charging",
    "PU-4": "expert fee above cap", "BR-1": "indirect-cost cap", "BR-2": "budget overrun", "BR-3": "overspend",
    "BR-4": "equipment misfiled", "TP-1": "out of period", "TP-2": "period-end spike", "TP-3": "idle funds",
    "TP-4": "unreturned balance", "FL-1": "non-member recipient", "FL-2": "no task",
    "FL-3": "agreement not in force", "AN-1": "duplicate payment", "AN-2": "split purchase",
    "AN-3": "just below threshold", "AN-4": "round amounts", "AN-5": "Benford", "AN-6": "weekend or holiday",
    "AN-7": "backdated", "AN-8": "related party", "AN-9": "segregation of duties", "AL-1": "revenue split",
    "AL-2": "outcome not shared", "AL-3": "Article 8 conditions",
}


def rule_order(key):
    rule = key.split(":")[0]
    return (list(RULE_NAMES).index(rule), key)


def lines_of(items):
    return ", ".join(it.where() for it in sorted(items, key=lambda it: (it.file, it.line)))


def evidence(key, flags):
    """The file:line cells of an expected flag: its anchor event plus the events that make it up."""
    anchor = flags.get(key, (None, None))[0]
    rule = key.split(":")[0]
    spent = [e for e in EXPENDITURES if not e.reversed]
    if rule == "TP-2":
        return lines_of(SPIKE) + " (and every national line of 2026-05-02..06-30)"
    if rule == "AN-4":
        return lines_of([VENDORS["YUNFAN"].item] + [e for e in spent if e.vendor.key == "YUNFAN"])
    if rule == "AN-8":
        vendor = VENDORS_ALL[key.split(":")[1][2:]]
        paid = [e for e in spent if e.vendor is vendor]
        if vendor.key.startswith("SELF-"):
            return f"{vendor.item.where()} ({len(paid)} internal charges)"
        return lines_of([vendor.item] + paid)
    if rule == "BR-3":
        short = [f for f in DISBURSEMENTS if f.member is JUNCHI and f.grant is NATIONAL][-1]
        return f"{short.where()} (the short tranche); {lines_of([e for e in SPIKE if e.member is JUNCHI])}"
    if rule == "TP-4":
        member = DHUST if key.split(":")[1] == DHUST.key else LIYUAN
        last = [f for f in DISBURSEMENTS if f.member is member and f.grant is NATIONAL][-1]
        return f"{last.where()} (no refund_recorded follows)"
    if rule == "AL-2":
        return lines_of([SOFTWARE, EXCLUSIVE])
    if rule == "BR-2" and anchor is None:
        return lines_of(ADJUSTMENT_CONTROL + [ADJUSTMENT])
    if rule == "PU-4" and anchor is None:
        return [e for e in EXPENDITURES if f"PU-4:{e.uid}" == key][0].where()
    return anchor.where() if anchor is not None else "-"


def readme(flags, total_events):
    accepted = [s for s in STEPS if not s[4]]
    expenditures = [e for e in EXPENDITURES]
    out = []
    w = out.append
    w(f"# Demo data set: {ALLIANCE_NAME}")
    w("")
    w(f"*{ALLIANCE_NAME_EN}.* `fundtrail demo` builds this sample alliance step by step, one signed "
      "submission per step, then verifies the whole log from genesis.")
    w("")
    w("**Everything here is invented.** The enterprises, universities, institute, vendors and people are "
      "fictitious; the two funders carry the names of real public authorities only so that the example reads "
      "naturally, and their codes, representatives, grant numbers, budgets and decisions are made up. No planted "
      "misuse involves a funder. The unified social credit codes have valid check characters (computed by "
      "`generate.py`) but belong to nobody.")
    w("")
    w("**The keys in `keys/` are demo keys.** Their private halves are published in this repository, so anyone "
      "can sign as any party of the demo alliance. Never register them in a real ledger.")
    w("")
    w("## Running it")
    w("")
    w("```sh")
    w("cmake -S . -B build && make -C build -j2 fundtrail")
    w("build/tools/fundtrail demo --ledger /tmp/demo-check --examples examples/power-battery")
    w(f"build/tools/fundtrail log --ledger /tmp/demo-check --subject grant:{NATIONAL.id}")
    w("build/tools/fundtrail log --ledger /tmp/demo-check --type organisation_registered --json   # Chinese names")
    w("```")
    w("")
    w(f"The demo prints the genesis and then each of the {len(STEPS)} steps with its event count, signing key, "
      "sequence numbers and the new head. Step "
      f"{[i for i, s in enumerate(STEPS, start=2) if s[4]][0]} is refused on purpose: the finance key of "
      f"{JUNCHI.name} tries to book an expenditure for {LIQING.name}, and the ledger answers that a "
      "`member_finance` key acts only for its own organisation; nothing is appended. The demo then prints the "
      f"number of events of each type and ends with `ok: {total_events} events verified`.")
    w("")
    w(f"The ledger holds {total_events} events in {len(accepted) + 1} signed submissions: "
      f"{len(expenditures)} expenditures (plus one mistyped entry and its reversal), "
      f"{len(DISBURSEMENTS)} disbursements, {len(RECEIVED)} receipts of funds, "
      f"{len(REFUNDS)} refunds, {len(VENDORS_ALL)} vendors (of which {len(MEMBERS)} are the members' internal "
      "accounts), and the registrations, agreement, governance, outcomes and findings around them.")
    w("")
    w("## Files")
    w("")
    w("| file | what |")
    w("|---|---|")
    w("| `demo.json` | the manifest `fundtrail demo` reads: alliance, operator key, genesis, steps, showcase grant |")
    w("| `steps/00-genesis.jsonl` | the genesis submission (signed by the operator key): the secretariat and its "
      "admin key |")
    w("| `steps/NN-*.jsonl` | one signed submission each, JSON Lines, one event per line |")
    w("| `agreement.md` | the (fictitious) alliance agreement; its SHA-256 is the `document_hash` of step 02 |")
    w("| `keys/NAME.pem`, `keys/NAME.pem.pub` | demo Ed25519 keys made with `fundtrail keygen` |")
    w("| `generate.py` | writes everything above except the keys, and this README |")
    w("")
    w("Regenerate with `python3 generate.py` (Python 3 standard library only). The output is deterministic: the "
      "script seeds its random generator with a constant and reads only the public keys, so a second run "
      "rewrites every file byte for byte. New keys (`fundtrail keygen`) change the key events and nothing else. "
      "Before writing, the script runs a literal reference reading of the misuse rules over its own data and "
      "stops if a planted case below would not raise its flag or a flag appears that is not listed here.")
    w("")
    w("## The alliance")
    w("")
    w("| organisation | English name | unified social credit code | kind | in the ledger |")
    w("|---|---|---|---|---|")
    roles = {SECRETARIAT: "secretariat (`admin`, key `secretariat`)", MOST: "funder of the national grant (`most`)",
             PROVINCIAL: "funder of the provincial grant (`provincial`)",
             FUND_MANAGER: "fund manager (`fundmanager`)", AUDITOR: "auditor (`auditor`)"}
    for o in ORGS:
        role = roles.get(o) or (f"member since {iso(o.admitted)}"
                                + (f", withdrew {iso(WITHDRAWN_DATE)}" if o is WITHDRAWN else "")
                                + f" (`signatory-{o.key}`, `finance-{o.key}`)")
        w(f"| {o.name} | {o.name_en} | `{o.id}` | {o.kind} | {role} |")
    w("")
    w(f"The agreement `{AGREEMENT_ID}` ({iso(AGREEMENT_DATE)}) sets the goals, one task per member, ownership "
      "shares and revenue shares (basis points): "
      + ", ".join(f"{m.name} {REVENUE[m]}" for m in MEMBERS) + ". It is signed by each member's legal "
      f"representative in its own step; {LIYUAN.name} signs last, on {SIGN_DATES[LIYUAN]}. The council "
      "(decision-making), the expert committee (consultation) and the secretariat (executive, 6 full-time staff) "
      "are registered, so the Article 8 checklist (AL-3) is met.")
    w("")
    w("| grant | funder | source | amount | period | project |")
    w("|---|---|---|---|---|---|")
    for grant in GRANTS:
        w(f"| `{grant.id}` | {grant.funder.name} | {grant.source} | {grouped(grant.amount)} CNY | "
          f"{iso(grant.start)}..{iso(grant.end)} | `{grant.project}` |")
    w("")
    w("| budget line | " + " | ".join(f"`{g.id}`" for g in GRANTS) + " | spent on the national grant |")
    w("|---|---:|---:|---:|")
    spent = [e for e in EXPENDITURES if not e.reversed]
    for category in DIRECT + ["indirect"]:
        cells = []
        for grant in GRANTS:
            if category not in grant.budget:
                cells.append("none")
                continue
            cell = grouped(grant.budget[category])
            after = grant.budget_at(AS_OF)[category]
            if after != grant.budget[category]:
                cell += f" → {grouped(after)}"
            cells.append(cell)
        total = sum(e.amount for e in spent if e.grant is NATIONAL and e.category == category)
        w(f"| {category} | " + " | ".join(cells) + f" | {grouped(total)} |")
    w("")
    w(f"The arrows are the budget adjustment the national funder approved on {iso(ADJUSTMENT_DATE)}. Money flows "
      "as in the Opinions: the funders pay the fund manager (`funds_received`), the fund manager pays each member "
      "for its task every quarter, sized to the coming quarter's spending (`funds_disbursed`), each member's "
      "finance key books its own expenditures, and after the national grant ends the members and the fund "
      "manager return what is left (`refund_recorded`). Expenditures carry invoice numbers (20-digit "
      "e-invoices; `NBJS-...` for internal settlement slips), invoice, payment and voucher dates, requester, "
      "approver and a Chinese description.")
    w("")
    w(f"{LIYUAN.name} withdraws on {iso(WITHDRAWN_DATE)}, refunds its unspent national balance and has its keys "
      f"revoked; {LIQING.name} takes over its task. One mistyped entry of {LIQING.name} (digits transposed) is "
      "corrected by a `reversal` and a new entry, so every rule must ignore reversed events: the mistyped "
      f"amount is at {MISTYPED.where()}, its reversal at {REVERSAL.where()}.")
    w("")
    w("## Planted misuse")
    w("")
    w(f"Each case is a valid event that the ledger accepts; only the misuse rules of `RULES.md` (default policy, "
      f"`--as-of-date {iso(AS_OF)}`) should object. Line numbers are 1-based lines of the step files.")
    w("")
    w("| rule | file:line | what is planted |")
    w("|---|---|---|")
    for key in sorted((k for k, v in EXPECTED.items() if v[1] == "planted"), key=rule_order):
        rule, _, text = EXPECTED[key]
        w(f"| {rule} {RULE_NAMES[rule]} | {evidence(key, flags)} | {text} |")
    w("")
    w("### Expected side effects")
    w("")
    w("These flags are not the point of a case but follow from one, or from how the data is modelled; a correct "
      "implementation raises them too.")
    w("")
    w("| rule | file:line | why |")
    w("|---|---|---|")
    for key in sorted((k for k, v in EXPECTED.items() if v[1] == "side effect"), key=rule_order):
        rule, _, text = EXPECTED[key]
        w(f"| {rule} | {evidence(key, flags)} | {text} |")
    w("")
    w("The internal accounts exist because `expenditure_recorded` requires a vendor, and indirect costs, "
      "university payroll and utility allocations have none. An implementation may prefer to treat a vendor whose "
      "tax id is the spending member's own code as an internal charge rather than a related party.")
    w("")
    w("### Controls: near misses that must not be flagged")
    w("")
    w("| rule | file:line | why not |")
    w("|---|---|---|")
    for key in sorted((k for k, v in EXPECTED.items() if v[1] == "control"), key=rule_order):
        rule, _, text = EXPECTED[key]
        w(f"| {rule} | {evidence(key, flags)} | {text} |")
    budget_base = sum(a for c, a in NATIONAL.budget.items() if c not in ("equipment", "indirect"))
    w(f"| BR-1 | {NATIONAL_AWARD.where()} | the national budget's indirect line "
      f"{grouped(NATIONAL.budget['indirect'])} is within the cap {grouped(indirect_cap(budget_base))} "
      "(30/25/20% of direct costs less equipment) |")
    w("")
    w("Everything else is ordinary: payments on working days, vouchers booked within ten days of payment, "
      "invoices dated before payment, no amounts in [95,000, 100,000) or whole thousands outside the planted "
      "cases, no two sub-threshold payments to one vendor or by one requester adding up to 100,000.00 within "
      "7 days, quarterly tranches spent within the quarter, every budget line within its budget. Bulk materials "
      "purchases above 50,000.00 are ordinary; BR-4 concerns equipment-like items (instruments, machines) "
      "booked outside `equipment`. AN-5 (Benford) needs 300 expenditures per member and no member has that "
      "many, so it is not evaluated; the amounts are drawn log-uniformly, so their first digits follow "
      "Benford's law anyway.")
    w("")
    w("Public holidays assumed for AN-6 (State Council notices): "
      + "; ".join(a if a == b else f"{a}..{b}" for a, b in HOLIDAY_RANGES) + ".")
    w("")
    w("## Steps")
    w("")
    w("| # | file | key | events | what |")
    w("|---:|---|---|---:|---|")
    w(f"| 1 | `{STEPS_DIR}/00-genesis.jsonl` | operator | {len(GENESIS) + 1} | ledger_genesis (written by "
      "`fundtrail init`), the secretariat and its admin key |")
    for number, (stem, title, key, items, rejected) in enumerate(STEPS, start=2):
        w(f"| {number} | `{STEPS_DIR}/{stem}.jsonl` | {key} | {0 if rejected else len(items)} | {title} |")
    w("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
