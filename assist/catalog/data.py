"""The service catalog of DOMAIN.md: 6 categories × 4 items (reference data, loaded on upgrade).

Unit prices (元) are the bureau's default purchase prices; providers may have their own.
"""

CATEGORIES = [
    ("A", "生活服务", "Daily living"),
    ("B", "清洁服务", "Cleaning"),
    ("C", "医疗健康", "Health"),
    ("D", "照护服务", "Personal care"),
    ("E", "关爱服务", "Care and companionship"),
    ("F", "能力提升与社会融入", "Capacity and inclusion"),
]

# code, name_zh, name_en, unit_zh, unit_en, frequency_zh, frequency_en, unit_price
ITEMS = [
    ("A1", "助餐送餐", "Meal aid and delivery", "次", "meal", "每日1–2次", "1–2 a day", "15.00"),
    ("A2", "上门助浴", "Bathing aid", "次", "visit", "每月2–4次", "2–4 a month", "60.00"),
    ("A3", "理发修剪", "Grooming", "次", "visit", "每月1次", "monthly", "20.00"),
    ("A4", "代购代办", "Errands", "次", "errand", "每月不超过4次", "up to 4 a month", "20.00"),
    ("B1", "居室保洁", "Home cleaning", "小时", "hour", "每月2次，每次2小时", "2 h twice a month", "40.00"),
    ("B2", "环境整治", "Deep clean and clutter clearing", "次", "visit", "一次，此后每季度不超过1次", "once, then at most quarterly", "300.00"),
    ("B3", "衣被洗涤", "Laundry and bedding", "次", "load", "每月1–2次", "1–2 a month", "30.00"),
    ("B4", "季节清洁与安全检查", "Seasonal clean and gas/electric safety check", "次", "visit", "每年2次", "twice a year", "120.00"),
    ("C1", "健康随访", "Health follow-up", "次", "visit", "每季度至少1次", "at least quarterly", "30.00"),
    ("C2", "陪诊就医", "Escort to hospital", "小时", "hour", "按需，每月不超过4次", "as needed, up to 4 a month", "35.00"),
    ("C3", "代取药/用药管理", "Medicine fetching and pill management", "次", "visit", "每月1–4次", "1–4 a month", "20.00"),
    ("C4", "康复训练指导", "Rehabilitation training", "次", "session", "每周1–2次（按疗程）", "1–2 a week per course", "80.00"),
    ("D1", "起居照料", "Personal care", "小时", "hour", "二级每月8小时，三级及以上16小时", "8 h/month at level 2, 16 h at 3+", "40.00"),
    ("D2", "喘息/临时照料", "Respite for family carers", "小时", "hour", "每月不超过24小时", "up to 24 h a month", "35.00"),
    ("D3", "助急响应", "Emergency alarm and response", "次", "call-out", "按需，另每月测试1次", "as needed plus a monthly test", "50.00"),
    ("D4", "日间照料/短期托养", "Day care and short stay", "日", "day", "按需", "as needed", "100.00"),
    ("E1", "探访关爱", "Home visiting", "次", "visit", "高风险老人每周，重点对象每月，其他每季度", "weekly for high-risk elderly, monthly for key groups, otherwise quarterly", "25.00"),
    ("E2", "精神慰藉", "Companionship", "小时", "hour", "每月2–4次", "2–4 a month", "30.00"),
    ("E3", "心理疏导", "Counselling", "小时", "hour", "每周1次，共6–8次", "weekly × 6–8", "150.00"),
    ("E4", "困境儿童关爱", "Care for children in difficulty", "次", "visit", "每月2–4次", "2–4 a month", "50.00"),
    ("F1", "就业帮扶", "Employment help", "次", "session", "按需", "as needed", "60.00"),
    ("F2", "法律援助/政策代办", "Legal aid and entitlement applications", "次", "case", "按需", "as needed", "50.00"),
    ("F3", "社会融入活动", "Community activities", "次", "activity", "每月1–2次", "1–2 a month", "40.00"),
    ("F4", "资源链接/微心愿", "Resource linking and micro-wishes", "次", "wish", "按需", "as needed", "100.00"),
]
