"""What the synthetic world is made of: the simulated period, the organs and their units, and
the pools names, places, posts, allegations and grades are drawn from (``api.demo``)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

DEMO_START = date(2023, 3, 1)
DEMO_END = date(2026, 10, 31)
NAMESPACE = UUID("6f1c2a4e-8d3b-5e7f-9a10-2b3c4d5e6f70")

ORGANS: tuple[tuple[str, str, str, float, tuple[str, ...]], ...] = (
    ("320600", "南通市公安局", "南通市", 0.16, ("指挥中心", "交通警察支队", "特警支队")),
    (
        "320602",
        "南通市公安局崇川分局",
        "南通市",
        0.24,
        ("城东派出所", "和平桥派出所", "观音山派出所", "交警大队", "治安大队"),
    ),
    (
        "320612",
        "南通市公安局通州分局",
        "南通市",
        0.2,
        ("金沙派出所", "平潮派出所", "石港派出所", "交警大队"),
    ),
    ("320681", "启东市公安局", "启东市", 0.2, ("汇龙派出所", "吕四港派出所", "交警大队")),
    ("320682", "如皋市公安局", "如皋市", 0.2, ("如城派出所", "长江派出所", "交警大队")),
)
AGENCIES = ("南通众合人力资源服务有限公司", "江苏通达劳务派遣有限公司", "南通安保人力资源有限公司")
SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高梁郑罗宋谢唐韩曹许邓冯曾程蔡彭潘袁董苏叶吕魏蒋田杜丁沈姜范江钟陆顾施钱缪季"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红志海文斌宇浩凯鹏飞翔晨雪梅琳晶波辉健"  # noqa: E501
STREETS = (
    "人民路",
    "工农路",
    "青年路",
    "濠河路",
    "崇川路",
    "世纪大道",
    "钟秀路",
    "长江路",
    "园林路",
)
POSTS = (
    ("patrol", 30),
    ("traffic", 25),
    ("community", 20),
    ("call_intake", 10),
    ("certificate_assistance", 8),
    ("technical_support", 7),
)
DUTY_POSTS = {"patrol", "traffic", "community"}
ALLEGATIONS = (
    "执勤时态度恶劣，言语粗暴",
    "查验证件时未出示工作证件",
    "处理交通纠纷时偏袒一方",
    "推搡群众",
    "接警后长时间未回复",
    "办理证件时索要好处",
    "执勤时玩手机，不履行职责",
    "超越辅助职责单独执法",
)
FINDINGS = (
    ("not_sustained", 38),
    ("unfounded", 20),
    ("sustained", 22),
    ("partly_sustained", 10),
    ("exonerated", 10),
)
GRADES = (("excellent", 15), ("competent", 70), ("basically_competent", 11), ("incompetent", 4))

HOLIDAYS_2024 = {
    # The State Council's 2024 calendar (国务院办公厅关于2024年部分节假日安排的通知,
    # 国办发明电〔2023〕7号): the days off, and the weekend days worked in exchange (调休).
    "holidays": [
        "2024-01-01",
        *(f"2024-02-{d:02d}" for d in range(10, 18)),
        *(f"2024-04-{d:02d}" for d in range(4, 7)),
        *(f"2024-05-{d:02d}" for d in range(1, 6)),
        "2024-06-10",
        *(f"2024-09-{d:02d}" for d in range(15, 18)),
        *(f"2024-10-{d:02d}" for d in range(1, 8)),
    ],
    "extra_working_days": [
        "2024-02-04",
        "2024-02-18",
        "2024-04-07",
        "2024-04-28",
        "2024-05-11",
        "2024-09-14",
        "2024-09-29",
        "2024-10-12",
    ],
}
"""The demo's later change of rules: the 2023 measures' rule set amended with 2024's holidays."""
