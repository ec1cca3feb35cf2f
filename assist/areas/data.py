"""Reference areas of 乌海市海南区 (150303): streets/towns and their communities and villages.

Street and community codes follow the 12-digit statistical scheme under the district (001–099
streets, 1xx towns). Grids are not reference data: communities add them as they draw them.
"""

DISTRICT = ("150303", "海南区")

STREETS = [
    ("150303001000", "西卓子山街道", [
        ("150303001001", "兴隆社区"), ("150303001002", "团结社区"), ("150303001003", "富康社区"),
        ("150303001004", "卓子山社区"),
    ]),
    ("150303002000", "拉僧仲街道", [
        ("150303002001", "华苑社区"), ("150303002002", "新桥社区"), ("150303002003", "东风社区"),
        ("150303002004", "幸福社区"), ("150303002005", "和谐社区"),
    ]),
    ("150303100000", "拉僧庙镇", [
        ("150303100001", "海南社区"), ("150303100002", "乌珠日社区"), ("150303100201", "西来峰村"),
    ]),
    ("150303101000", "巴音陶亥镇", [
        ("150303101001", "万亩滩社区"), ("150303101201", "赛汗乌素村"), ("150303101202", "万亩滩村"),
    ]),
    ("150303102000", "公乌素镇", [
        ("150303102001", "公乌素社区"), ("150303102002", "园林社区"),
    ]),
]


def rows():
    """(code, name, level, parent_code, path, sort) for every reference area."""
    d_code, d_name = DISTRICT
    d_path = d_code + "/"
    yield d_code, d_name, "district", None, d_path, 0
    for s_sort, (s_code, s_name, communities) in enumerate(STREETS):
        s_path = d_path + s_code + "/"
        yield s_code, s_name, "street", d_code, s_path, s_sort
        for c_sort, (c_code, c_name) in enumerate(communities):
            yield c_code, c_name, "community", s_code, s_path + c_code + "/", c_sort
