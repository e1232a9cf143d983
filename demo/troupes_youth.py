"""The demo community's troupes and youth programs: leaders, members and rehearsal
schedules, a few performances, terms of classes, and parents with children."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from models import Program, Role, User, Venue, YouthRules, db

from services import accounts, booking, events, schedules, troupes, youth
from services.dates import local_datetime, to_local
from services.venues import Slot, clashes

# troupe slug -> (leader phone, leader name, weekdays, start, end, venue index, rehearsal text).
# No two of them, and none of the Wednesday lectures (多功能厅 and 城市书房, 9:30–11:30),
# share a room at the same time: the site refuses that (services.venues), and a test
# checks that the demo has no overlaps.
TROUPE_LEADERS = {
    "laoganbu-shuhua": ("13700000001", "陈墨林", {1, 4}, time(9), time(11), 0, ""),
    "mengzhilan-lanqiu": ("13700000002", "马骁", {2, 5}, time(18, 30), time(20), 4, ""),
    "lvju": ("13700000003", "韩秀梅", {0, 3}, time(9), time(11), 0, ""),
    "jingju": ("13700000004", "杜文斌", {2}, time(14, 30), time(16, 30), 0, ""),
    "hulusi": ("13700000005", "宋丽娟", {0, 3}, time(15), time(16, 30), 2, ""),
    "taijiquan": ("13700000006", "高长林", {5}, time(6, 30), time(7, 30), 6, "每天清晨 6:30–7:30，周六集中教学"),
    "guangchangwu": ("13700000007", "刘春燕", {0, 2, 4}, time(19), time(20, 30), 6, ""),
    "hechang": ("13700000008", "许桂英", {1}, time(14, 30), time(16), 0, ""),
    "shiyun": ("13700000009", "高明远", {4}, time(14, 30), time(16), 1, ""),
    "yaogu": ("13700000010", "蒋建军", {3}, time(8, 30), time(10), 4, ""),
    "jianshen-qigong": ("13700000011", "沈玉梅", {0, 4}, time(7), time(8), 6, ""),
    "erhu": ("13700000012", "彭德海", {2}, time(9, 30), time(11), 2, ""),
    "jianzhi": ("13700000013", "何秀芝", {1}, time(14), time(16), 2, ""),
    "xiangqi": ("13700000014", "罗振华", {5}, time(14), time(17), 1, ""),
    "paishe": ("13700000015", "梁晓东", {6}, time(9), time(11), 3, ""),
    "modeng-qipao": ("13700000016", "唐美玲", {1}, time(19), time(20, 30), 0, ""),
    "yangge": ("13700000017", "冯桂兰", {0, 3}, time(18, 30), time(20), 4, ""),
    "pingpang": ("13700000018", "邓志强", {0, 2, 4}, time(15), time(17), 5, "每周一、三、五下午，文化服务中心乒乓球室"),
    "yueju-kuaishu": ("13700000019", "曹建国", {2}, time(15), time(16, 30), 2, ""),
    "shufa-peixun": ("13700000020", "袁书文", {5}, time(9), time(11), 2, ""),
}

# (troupe slug, title, summary, days from now, start, hours, venue index, seats); a
# performance moves on to the next day its room is free (the weekday depends on today).
PERFORMANCES = [
    ("laoganbu-shuhua", "书画笔会：翰墨迎新春", "老干部书画学会会员现场挥毫，书写春联、福字，居民可现场求字。", 16, time(9, 30), 2, 0, 60),
    ("shiyun", "诗韵社区：冬日诗会", "诗韵社原创诗词朗诵，欢迎居民上台朗诵自己喜爱的诗篇。", 12, time(14, 30), 2, 1, 30),
    ("mengzhilan-lanqiu", "社区篮球赛：梦之蓝 vs 青年夜校联队", "社区篮球友谊赛，现场设啦啦队区域。", 9, time(15), 2, 4, 100),
    ("lvju", "吕剧专场：《李二嫂改嫁》选段", "吕剧团汇报演出，另有《小姑贤》等经典唱段。", 23, time(14), 2, 0, 80),
]

# youth slug -> (min age, max age, parent comes along, term weekday, start, end, venue index, places)
YOUTH_TERMS = {
    "guoxue": (7, 12, False, 5, time(9), time(10, 30), 1, 20),
    "jiating-jiaoyu": (6, 12, True, 6, time(15), time(16, 30), 1, 16),
    "shaoer-songdu": (6, 12, False, 5, time(10, 30), time(11, 30), 3, 15),
    "wo-shequ-zhisheng": (10, 16, False, 4, time(19), time(20), 3, 20),
}


@dataclass(frozen=True)
class DemoLogins:
    parent: User
    leader: User


def _born(today: date, years: int, days: int) -> date:
    """A date of birth ``years`` years and ``days`` days before ``today``."""
    return date(today.year - years, today.month, min(today.day, 28)) - timedelta(days=days)


def free_start(venue: Venue, start: datetime, length: timedelta) -> datetime:
    """``start``, or the same time on the first later day the room is free then."""
    while clashes(venue, [Slot(start, start + length)]):
        start += timedelta(days=1)
    return start


def seed(*, programs: list[Program], venues: list[Venue], residents: list[User], now: datetime,
         password: str) -> DemoLogins:
    """Add the troupes and youth programs' demo data to the demo community."""
    today = to_local(now).date()
    by_slug = {p.slug: p for p in programs}
    first = today + timedelta(days=1)
    last = first + timedelta(weeks=8)

    leaders = {}
    for slug, (phone, name, weekdays, start, end, venue, text) in TROUPE_LEADERS.items():
        program = by_slug[slug]
        leader = accounts.register_user(phone=phone, display_name=name, password=password, now=now,
                                        roles=(Role.RESIDENT,))
        leaders[slug] = leader
        troupes.set_leader(program, phone)
        if text:
            troupes.update_settings(program, times=text, place="", member_limit=None, now=now)
        troupes.add_rehearsals(program, schedules.WeeklyPlan(
            title="排练", weekdays=frozenset(weekdays), start_time=start, end_time=end,
            first_day=first, last_day=last, venue=venues[venue],
        ), actor=leader, now=now)

    def join(slug: str, resident: User, note: str = "", *, approve: bool = True, minutes: int = 0):
        membership = troupes.apply(by_slug[slug], resident, note=note, now=now - timedelta(days=20, minutes=-minutes))
        if approve:
            troupes.approve(membership, by=leaders[slug], now=now - timedelta(days=19, minutes=-minutes))
        return membership

    # 葫芦丝队 takes at most six: full, with two people waiting.
    troupes.set_member_limit(by_slug["hulusi"], 6, now=now)
    for index, resident in enumerate(residents[:8]):
        join("hulusi", resident, minutes=index)
    # 吕剧团: members, and applications waiting for the leader.
    for index, resident in enumerate(residents[:5]):
        join("lvju", resident, minutes=index)
    join("lvju", residents[5], "年轻时唱过《小姑贤》，想重新学起来。", approve=False)
    join("lvju", residents[6], "周一周四上午都有空。", approve=False, minutes=1)
    for slug, group in (("hechang", residents[2:9]), ("taijiquan", residents[3:10]), ("shiyun", residents[8:12]),
                        ("laoganbu-shuhua", residents[0:3]), ("mengzhilan-lanqiu", residents[9:12])):
        for index, resident in enumerate(group):
            join(slug, resident, minutes=index)

    # A cancelled rehearsal, with the reason members see.
    lvju_rehearsals = troupes.upcoming_rehearsals([by_slug["lvju"].id], now=now, limit=3)
    events.cancel_event(lvju_rehearsals[1], "文化中心舞台检修，本次排练暂停", actor=leaders["lvju"], now=now)

    # Youth programs: age ranges, a term of eight weekly classes each.
    terms = {}
    for slug, (min_age, max_age, parent_attends, weekday, start, end, venue, places) in YOUTH_TERMS.items():
        program = by_slug[slug]
        db.session.add(YouthRules(program_id=program.id, min_age=min_age, max_age=max_age,
                                  parent_attends=parent_attends))
        terms[slug] = youth.create_term(program, schedules.WeeklyPlan(
            title="寒假学期", weekdays=frozenset({weekday}), start_time=start, end_time=end,
            first_day=first, last_day=first + timedelta(weeks=8) - timedelta(days=1), capacity=places,
            booking_cutoff_minutes=120, venue=venues[venue],
        ), actor=None, now=now)

    # Performances last: each takes the first day its room is free.
    for slug, title, summary, days, start, hours, venue, seats in PERFORMANCES:
        starts = free_start(venues[venue], local_datetime(today + timedelta(days=days), start), timedelta(hours=hours))
        event = troupes.add_performance(by_slug[slug], troupes.PerformancePlan(
            title=title, summary=summary, starts_at=starts, ends_at=starts + timedelta(hours=hours),
            capacity=seats, booking_cutoff_minutes=60, venue=venues[venue],
        ), actor=leaders[slug], now=now)
        for resident in residents[:6]:
            booking.book_seat(event, resident, now=now)

    parent, second, third = residents[10], residents[7], residents[8]  # 冯晓梅, 周国庆, 吴丽华
    xiaoming = youth.add_child(parent, name="小明", born_on=_born(today, 8, 40), gender=None, now=now)
    youth.add_child(parent, name="小雨", born_on=_born(today, 5, 100), gender=None, now=now)
    zihan = youth.add_child(second, name="周子涵", born_on=_born(today, 11, 200), gender=None, now=now)
    yinuo = youth.add_child(third, name="吴一诺", born_on=_born(today, 7, 15), gender=None, now=now)
    youth.book_term(terms["shaoer-songdu"], xiaoming, parent, now=now)
    youth.book_term(terms["guoxue"], zihan, second, now=now)
    family = terms["jiating-jiaoyu"]
    youth.book_class(family.events[0], yinuo, third, now=now)
    # The family reading club's first session is nearly full: seven families of eight.
    for index, resident in enumerate(residents[:6]):
        child = youth.add_child(resident, name=f"{resident.display_name[0]}小{'乐欣悦轩然安'[index]}",
                                born_on=_born(today, 6 + index, 30), gender=None, now=now)
        youth.book_class(family.events[0], child, resident, now=now)
    db.session.flush()
    return DemoLogins(parent=parent, leader=leaders["lvju"])
