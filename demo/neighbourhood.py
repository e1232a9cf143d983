"""The demo community's grids and buildings: building leaders (红色楼长) and a grid worker,
residents' homes, neighbours without a phone booked by their leader, a training for the
building leaders, community service credited beyond the lecture team, the reward list
(积分兑换) with requests, and the honours on the 光荣榜."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from models import AudienceKind, Event, Program, ServiceActivity, User, Venue, db

from services import accounts, audiences, booking, buildings, events, households, points, rewards
from services.dates import local_datetime, to_local

from .troupes_youth import free_start

# grid number, name, [(building, households)]
GRIDS = [
    ("12", "幸福里", [("1号楼", 36), ("2号楼", 48), ("3号楼", 48)]),
    ("13", "和平苑", [("5号楼", 24), ("6号楼", 24)]),
    ("27", "齐园小区", [("2号楼", 60), ("8号楼", 60)]),
]

# Where the demo residents live: resident index -> (grid, building, unit, room)
HOMES = {
    0: ("12", "3号楼", "1单元", "301"),   # 张桂芳
    1: ("12", "3号楼", "2单元", "502"),   # 刘建华
    2: ("12", "1号楼", "1单元", "201"),   # 陈玉兰
    3: ("13", "5号楼", "1单元", "101"),   # 王德顺 (leads 5号楼)
    4: ("13", "6号楼", "2单元", "302"),   # 李淑珍
    5: ("27", "2号楼", "3单元", "601"),   # 赵志刚
    6: ("12", "2号楼", "1单元", "402"),   # 孙秀英
    7: ("12", "3号楼", "1单元", "301"),   # 周国庆, same flat as 张桂芳
    9: ("13", "5号楼", "2单元", "201"),   # 郑春生
    10: ("12", "2号楼", "2单元", "102"),  # 冯晓梅
}

# neighbours without a phone in 12 / 3号楼: name, unit, room, note
NEIGHBOURS = [
    ("王桂英", "1单元", "102", "耳背，说话请大声些；女儿周末回来"),
    ("李长顺", "2单元", "101", "腿脚不便，参加活动需有人陪同"),
    ("孙玉珍", "2单元", "601", ""),
]

REWARDS = [
    ("抽纸一提", "维达三层抽纸，一提六包", 20, 30),
    ("洗衣液一瓶", "两公斤装", 30, 20),
    ("大米五斤", "本地新米", 50, 10),
    ("保温杯", "不锈钢，500 毫升", 80, 5),
    ("毛巾一条", "纯棉", 15, 0),
]


def seed(*, now: datetime, admin: User, organizer: User, residents: list[User], venues: list[Venue],
         wenshi: Program, term: list[Event], password: str) -> tuple[User, User]:
    """Build the grids and everything on them; return the demo building leader and grid worker."""
    grids, blocks_of = {}, {}
    for number, name, blocks in GRIDS:
        grid = grids[number] = buildings.create_grid(number=number, name=name, actor=admin, now=now)
        blocks_of[number] = {b: buildings.add_building(grid, name=b, households=h, actor=admin, now=now)
                             for b, h in blocks}
    leader = accounts.register_user(phone="13600000001", display_name="周淑华", password=password, now=now)
    worker = accounts.register_user(phone="13600000002", display_name="马丽", password=password, now=now)
    buildings.appoint_leader(blocks_of["12"]["3号楼"], leader, actor=admin, now=now)
    buildings.appoint_leader(blocks_of["12"]["2号楼"], leader, actor=admin, now=now)
    buildings.appoint_leader(blocks_of["13"]["5号楼"], residents[3], actor=admin, now=now)
    buildings.appoint_worker(grids["12"], worker, actor=admin, now=now)
    for index, (grid, block, unit, room) in HOMES.items():
        buildings.set_residence(residents[index], blocks_of[grid][block], unit=unit, room=room, now=now)
    buildings.set_residence(leader, blocks_of["12"]["3号楼"], unit="1单元", room="201", now=now)

    # Neighbours without a phone, added by their leader with their consent and booked by her:
    # 王桂英 waits for the full lecture and has a seat at the next; 李长顺 has a seat;
    # 孙玉珍 hasn't taken part in anything lately.
    wang, li, sun = (
        households.add_offline_resident(leader, name=name, building=blocks_of["12"]["3号楼"], unit=unit, room=room,
                                        consent=True, note=note, now=now - timedelta(days=40))
        for name, unit, room, note in NEIGHBOURS
    )
    full, moved, later = term[1], term[2], term[3]
    households.book_for(leader, wang, full, now=now, waitlist=True)
    households.book_for(leader, wang, moved, now=now)
    households.book_for(leader, li, later, now=now)

    # A training for the building leaders only (the report names one), booked by a leader.
    length = timedelta(hours=2, minutes=30)
    start = free_start(venues[0], local_datetime(to_local(now).date() + timedelta(days=9), time(14, 30)), length)
    training = events.add_event(wenshi, events.EventChanges(
        title="楼长普法培训：观看电影《第二十条》", starts_at=start, ends_at=start + length, venue=venues[0],
        capacity=30, booking_cutoff_minutes=120, speaker="社区法律顾问",
        summary="三八节前，组织楼长集中观看电影《第二十条》，并由社区法律顾问讲解正当防卫与邻里纠纷调解。",
    ), actor=organizer, now=now)
    db.session.flush()
    audiences.set_audience(training, AudienceKind.BUILDING_LEADERS, actor=organizer, now=now)
    booking.book_seat(training, leader, now=now)
    booking.book_seat(training, residents[3], now=now)

    # Service beyond the lecture team: the leaders' visits, helping at a program.
    points.credit_service(leader, minutes=180, points=25, activity=ServiceActivity.VISIT,
                          reason="走访 3 号楼、2 号楼 26 户，送每周预约单", by=worker, now=now - timedelta(days=3),
                          served_at=now - timedelta(days=4))
    points.credit_service(residents[3], minutes=480, points=40, activity=ServiceActivity.VISIT,
                          reason="本月走访 5 号楼独居老人 6 户，每周一次", by=organizer, now=now - timedelta(days=10),
                          served_at=now - timedelta(days=11))
    points.credit_service(residents[0], minutes=150, points=12, activity=ServiceActivity.HELPING,
                          reason="书画笔会布置会场、引导入座", by=organizer, now=now - timedelta(days=20),
                          served_at=now - timedelta(days=21))

    items = [rewards.create_item(name=name, description=text, points_price=price, stock=stock, actor=admin, now=now)
             for name, text, price, stock in REWARDS]
    handed = rewards.request_redemption(items[0], leader, now=now - timedelta(days=2))
    rewards.hand_over(handed, organizer=organizer, now=now - timedelta(days=1))
    rewards.request_redemption(items[1], residents[3], now=now - timedelta(hours=5))  # waiting to be handed over

    year = to_local(now).year
    for person, title, when, citation in (
        (residents[6], "孝善之星", year - 1, "十年如一日照顾瘫痪在床的婆婆，邻里交口称赞。"),
        (residents[7], "身边榜样", year - 1, "义务修理楼道灯二十余盏，谁家有难处总是第一个到。"),
        (residents[2], "最美志愿者", year, "蒲公英宣讲队骨干，常年走进楼栋宣讲，风雨无阻。"),
        (leader, "优秀红色楼长", year, "做到“四见四知”，为楼里不用智能手机的老人代约活动、送预约单。"),
    ):
        rewards.give_honour(person, title=title, year=when, citation=citation, actor=admin, now=now)
    db.session.flush()
    return leader, worker
