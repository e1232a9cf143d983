"""Demo data for the lecture team (蒲公英宣讲队): members and applicants, a month of talks
with roles partly filled, roles at two Wednesday lectures, and past service credited."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from models import Event, OutcomeStatus, PointsRule, Program, Series, User, Venue, db

from services import membership, points, shifts, talks
from services.dates import local_datetime, to_local

THEMES = [("lilun", "理论知识"), ("aiguo", "爱国教育"), ("wenming", "精神文明")]

PLACES = [
    ("社区党群服务中心 会议室", "社区党群服务中心二楼"),
    ("齐都实验小学 报告厅", "齐都实验小学综合楼一楼"),
    ("3号楼前小广场（第12网格）", "3号楼南侧"),
    ("7号楼单元活动室（第25网格）", "7号楼2单元一楼"),
    ("15号楼前小广场（第31网格）", "15号楼东侧"),
]

# (days from today, start, minutes, theme, title, place, summary)
COMING = [
    (1, time(15, 0), 90, "lilun", "学习贯彻党的二十大精神", 0, "用身边事讲清大道理：二十大报告里的民生关键词。"),
    (4, time(9, 30), 90, "aiguo", "红色家书里的初心", 1, "为五年级同学朗读、讲解革命先辈的家书。"),
    (7, time(16, 0), 60, "wenming", "文明养犬 从我做起", 2, "楼前小广场上的文明养犬宣讲，现场发放宣传册。"),
    (11, time(15, 0), 90, "lilun", "《民法典》与百姓生活", 3, "邻里纠纷、继承赡养——《民法典》怎么说。"),
    (14, time(9, 30), 90, "aiguo", "抗战老兵的故事", 0, "老党员讲述渤海老区的抗战往事。"),
    (18, time(16, 0), 60, "wenming", "移风易俗 喜事新办", 4, "红白喜事怎么办得既体面又节俭。"),
    (22, time(15, 0), 90, "lilun", "乡村振兴看临淄", 0, "从临淄的村庄变化看乡村振兴。"),
    (27, time(9, 30), 90, "wenming", "垃圾分类新时尚", 1, "和同学们一起学垃圾分类，做小小宣传员。"),
]

# (days ago, start, minutes, theme, title, place)
PAST = [
    (26, time(15, 0), 90, "lilun", "学习身边的好人好事", 0),
    (18, time(9, 30), 90, "aiguo", "走进稷下学宫", 1),
    (12, time(16, 0), 60, "wenming", "邻里守望 文明同行", 2),
    (7, time(15, 0), 90, "lilun", "基层治理与网格服务", 3),
    (3, time(9, 30), 90, "aiguo", "国旗下的成长", 1),
]

NOTES = [
    "退休语文教师，愿意讲讲身边的好人好事。",
    "会用相机，可以帮忙拍照。",
    "在社区住了三十年，熟悉各个网格。",
    "喜欢朗诵，希望参加宣讲。",
    "时间比较自由，场务签到都可以。",
    "党员，想为社区出份力。",
    "以前是会计，可以帮忙签到登记。",
    "年轻人，周末有空。",
]


def _start(now: datetime, days: int, at: time) -> datetime:
    return local_datetime(to_local(now).date() + timedelta(days=days), at)


def seed(*, now: datetime, team: Program, organizer: User, residents: list[User], venues: list[Venue],
         lectures_to_staff: list[Event]) -> User:
    """Fill the lecture team with demo life; return the demo volunteer to log in as."""
    team.series = [Series(slug=slug, name=name, position=i) for i, (slug, name) in enumerate(THEMES)]
    places = [Venue(name=name, address=address) for name, address in PLACES]
    db.session.add_all(places)
    db.session.flush()
    themes = {s.slug: s for s in team.series}

    # Eight members (the first is the demo volunteer 陈玉兰), two people waiting for a decision.
    members, applicants = residents[2:10], residents[10:12]
    joined = now - timedelta(days=60)
    for person, note in zip(members, NOTES):
        application = membership.apply_to_join(team, person, note, now=joined)
        membership.approve(application, organizer, now=joined + timedelta(days=1))
    for person, note in zip(applicants, ("想参加宣讲队，可以做摄影。", "刚退休，想找点有意义的事做。")):
        membership.apply_to_join(team, person, note, now=now - timedelta(days=2))

    def new_talk(start: datetime, minutes: int, theme: str, title: str, place, summary: str, created: datetime):
        details = talks.TalkDetails(
            title=title, theme=themes[theme], venue=places[place],
            starts_at=start, ends_at=start + timedelta(minutes=minutes), summary=summary,
        )
        return talks.create_talk(team, details, list(shifts.DEFAULT_ROLES), actor=organizer, now=created)

    def staff(event: Event, pattern: list[tuple[str, list[User]]], when: datetime, waitlist: bool = True):
        roles = {role.name: role for role in shifts.roles_by_event([event.id])[event.id]}
        for name, people in pattern:
            for person in people:
                shifts.sign_up(roles[name], person, now=when, waitlist=waitlist)

    chen, wang, li, zhao, sun, zhou, wu, zheng = members

    # Past talks, oldest first: everyone who held a role is recorded, except at the latest
    # talk, where three shifts still wait for the organizer. One photographer didn't come.
    speaker_rule = shifts.RoleSpec("主讲", 1, points_rule=PointsRule.PER_SHIFT, points=30, credit_minutes=180)
    rotas = [
        [("主讲", [chen]), ("主持", [wang]), ("摄影", [zhao]), ("场务", [sun, zhou]), ("签到", [wu])],
        [("主讲", [li]), ("主持", [sun]), ("摄影", [zhao]), ("场务", [wu, zheng]), ("签到", [chen])],
        [("主讲", [zhou]), ("主持", [chen]), ("摄影", [zheng]), ("场务", [wang, li]), ("签到", [wu])],
        [("主讲", [chen]), ("主持", [wu]), ("摄影", [zhao]), ("场务", [zhou, wang]), ("签到", [sun])],
        [("主讲", [li]), ("主持", [sun]), ("摄影", [zheng]), ("场务", [wu, zhao]), ("签到", [wang])],
    ]
    for (days_ago, at, minutes, theme, title, place), rota in zip(PAST, rotas):
        start = _start(now, -days_ago, at)
        event = new_talk(start, minutes, theme, title, place, "", start - timedelta(days=14))
        roles = {role.name: role for role in shifts.roles_by_event([event.id])[event.id]}
        shifts.update_role(roles["主讲"], speaker_rule, now=start - timedelta(days=14))
        staff(event, rota, start - timedelta(days=5))
        holders = shifts.holders_by_quota(role.quota_id for role in roles.values())
        for role in roles.values():
            if days_ago == 3 and role.name in ("场务", "签到"):
                continue  # still to confirm: shows on the organizer's "who served?" list
            for booking in holders[role.quota_id][0]:
                no_show = (days_ago, role.name) == (12, "摄影")
                points.record_outcome(
                    booking, OutcomeStatus.NO_SHOW if no_show else OutcomeStatus.SERVED, organizer,
                    now=start + timedelta(minutes=minutes + 30),
                )
        if days_ago == 12:
            points.adjust(sun, minutes=120, points=20, reason="协助整理宣讲资料、制作展板", organizer=organizer,
                          now=now - timedelta(days=10))
        if days_ago == 7:
            points.redeem(chen, points=30, reason="兑换洗衣液一瓶、毛巾两条", organizer=organizer,
                          now=now - timedelta(days=5))

    # A month of coming talks, roles partly filled; the first has a waiting list for photos.
    signed_up = now - timedelta(days=1)
    fills = [
        [("主讲", [li]), ("主持", [wang]), ("摄影", [zheng, chen]), ("场务", [sun, zhou]), ("签到", [wu])],
        [("主讲", [zhou]), ("主持", [chen]), ("场务", [zhao])],
        [("主讲", [sun]), ("签到", [li])],
        [("主讲", [chen]), ("摄影", [zhao]), ("场务", [wu])],
        [("主持", [li]), ("场务", [zheng])],
        [("主讲", [wang])],
        [],
        [("主讲", [zhou]), ("主持", [sun])],
    ]
    for (days, at, minutes, theme, title, place, summary), fill in zip(COMING, fills):
        event = new_talk(_start(now, days, at), minutes, theme, title, place, summary, now - timedelta(days=3))
        staff(event, fill, signed_up)

    # Volunteers wanted at the next two Wednesday lectures: a host and check-in helpers.
    for lecture in lectures_to_staff:
        shifts.add_role(lecture, shifts.RoleSpec("主持", 1), now=now - timedelta(days=2))
        shifts.add_role(lecture, shifts.RoleSpec("签到", 2), now=now - timedelta(days=2))
    host = shifts.roles_by_event([lectures_to_staff[0].id])[lectures_to_staff[0].id][0]
    shifts.sign_up(host, zheng, now=signed_up)
    db.session.flush()
    return chen
