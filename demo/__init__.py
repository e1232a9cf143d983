"""A believable demo community, built from the community's own report and glossary.

Demo data is not a rule: this package sits beside the CLI (``flask --app app seed-demo``)
and builds the community through the services, as an office would through the site.
``team`` seeds the lecture team, ``troupes_youth`` the troupes and youth programs,
``neighbourhood`` the grids, buildings, building leaders, rewards and honours."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import sqlalchemy as sa

from models import (
    AttendanceStatus, Booking, BookingStatus, Notification, NotificationKind, Program, ProgramKind, Role, Series,
    User, Venue, db,
)

from services import accounts, attendance, booking, events, lectures, no_shows, organizer_messages, schedules, shifts
from services.dates import local_datetime, now_utc, to_local
from services.schedules import WeeklyPlan

from . import neighbourhood as demo_neighbourhood
from . import team as demo_team
from . import troupes_youth as demo_troupes_youth

DEMO_PASSWORD = "linli-demo-2026"

VENUES = [
    ("社区文化服务中心 多功能厅", "社区文化服务中心二楼"),
    ("城市书房", "社区文化服务中心一楼东侧"),
    ("社区老年大学 101 教室", "老年大学教学楼一楼"),
    ("青年夜校教室", "社区党群服务中心三楼"),
    ("社区篮球场", "文化主题公园北侧"),
    ("社区文化服务中心 乒乓球室", "社区文化服务中心一楼西侧"),
    ("文化主题公园 文化广场", "社区北侧文化主题公园"),
]

LECTURE_SERIES = [
    ("qiguo-gucheng", "齐国故城系"),
    ("wenhua-mingren", "文化名人"),
    ("zhongguo-guji", "中国古籍"),
    ("jixia-xuegong", "稷下学宫"),
    ("qi-wenhua", "齐文化源流"),
    ("shici", "诗词歌赋"),
    ("shuhua", "书画鉴赏"),
    ("minsu", "地方民俗"),
    ("hongse-jiyi", "红色记忆"),
    ("feiyi", "非遗技艺"),
    ("jiafeng", "家风家训"),
    ("lishi-dili", "历史地理"),
]

# (series slug, title, speaker, summary)
LECTURES = [
    ("qiguo-gucheng", "临淄齐国故城的城郭与街巷", "孙立民（市博物馆研究员）", "从考古发掘看两千多年前齐国都城的布局、城门与市井生活。"),
    ("wenhua-mingren", "管仲与齐国的富国之道", "刘文华（退休中学历史教师）", "“仓廪实而知礼节”——管仲改革的来龙去脉与今日启示。"),
    ("zhongguo-guji", "《齐民要术》里的农家生活", "赵淑琴（城市书房馆员）", "跟着贾思勰的文字，看古人怎样种地、酿酒、做酱。"),
    ("jixia-xuegong", "稷下学宫：百家争鸣的讲堂", "孙立民（市博物馆研究员）", "战国时代的“国家学术中心”是怎样运转的。"),
    ("shici", "左思《三都赋》与“洛阳纸贵”", "高明远（社区老年大学教师）", "一篇赋为何让洛阳的纸张涨价？聊聊临淄才子左思。"),
    ("shuhua", "怎样欣赏一幅山水画", "陈墨林（老干部书画学会会长）", "从笔墨、构图到题跋，带您读懂一幅山水画。"),
    ("minsu", "老临淄的年俗与节令", "王桂兰（民俗爱好者）", "腊八、小年、过大年——老街坊记忆中的年味。"),
    ("hongse-jiyi", "渤海革命老区的红色故事", "李国栋（党史宣讲员）", "听老党员讲述身边的革命先辈和他们的故事。"),
    ("feiyi", "齐国刻瓷：从刀法说起", "周建华（市级非遗传承人）", "现场演示刻瓷技法，讲述这门手艺的传承。"),
    ("jiafeng", "《颜氏家训》中的治家之道", "刘文华（退休中学历史教师）", "古人怎样教子、持家、处世，对今天的家庭有何借鉴。"),
    ("lishi-dili", "淄河古道与齐国的交通", "马志强（地方志办公室）", "一条河流如何塑造了一座古城的兴衰。"),
    ("qi-wenhua", "姜太公封齐与齐文化的开端", "孙立民（市博物馆研究员）", "“因其俗，简其礼”——齐文化开放包容的源头。"),
    ("wenhua-mingren", "晏婴的智慧与担当", "高明远（社区老年大学教师）", "“晏子使楚”之外，一位贤相的为政之道。"),
    ("zhongguo-guji", "《管子》导读", "赵淑琴（城市书房馆员）", "挑选《管子》中的名篇，逐句讲解。"),
]

TROUPES = [
    ("laoganbu-shuhua", "老干部书画学会", "离退休干部组成的书画团体，定期举办书画笔会和作品展览。"),
    ("mengzhilan-lanqiu", "梦之蓝篮球队", "社区青年篮球队，每周训练，组织社区篮球赛。"),
    ("lvju", "吕剧团", "唱响家乡戏，排演《李二嫂改嫁》《小姑贤》等经典唱段。"),
    ("jingju", "京剧票友社", "京剧爱好者一起吊嗓、排戏、切磋。"),
    ("hulusi", "葫芦丝队", "零基础也能学，悠扬的葫芦丝合奏。"),
    ("taijiquan", "太极拳队", "每天清晨在文化主题公园练习二十四式、四十二式太极拳。"),
    ("guangchangwu", "广场舞队", "傍晚的文化广场，跳出健康和快乐。"),
    ("hechang", "夕阳红合唱团", "唱红歌、唱老歌，参加街道合唱比赛。"),
    ("shiyun", "诗韵社", "诗词爱好者创作、朗诵，举办“诗韵我社区”活动。"),
    ("yaogu", "腰鼓队", "锣鼓喧天，节庆活动的开场担当。"),
    ("jianshen-qigong", "八段锦健身队", "传统健身功法，适合中老年人。"),
    ("erhu", "二胡协会", "二胡独奏与合奏，欢迎有基础的居民加入。"),
    ("jianzhi", "剪纸社", "学习传统剪纸，作品参加社区展览。"),
    ("xiangqi", "象棋协会", "以棋会友，每月举办社区象棋赛。"),
    ("paishe", "摄影协会", "记录社区生活，为社区活动留影。"),
    ("modeng-qipao", "旗袍队", "旗袍走秀与礼仪展示。"),
    ("yangge", "秧歌队", "传统秧歌，热闹喜庆。"),
    ("pingpang", "乒乓球队", "社区文化服务中心乒乓球室，每周活动三次。"),
    ("yueju-kuaishu", "山东快书队", "说唱身边好人好事。"),
    ("shufa-peixun", "书法培训班", "零基础书法入门，楷书临帖。"),
]

YOUTH = [
    ("guoxue", "国学讲堂", "面向小学生的国学启蒙：《三字经》《弟子规》《论语》选读。"),
    ("jiating-jiaoyu", "家庭教育读书会", "家长和孩子一起读书、交流，探讨家庭教育。"),
    ("shaoer-songdu", "少儿诵读班", "经典诗文诵读，培养语感与自信。"),
    ("wo-shequ-zhisheng", "我社区之声", "青少年宣教平台：党史学习、红色故事、齐文化宣讲。"),
]

RESIDENTS = [
    ("13900000001", "张桂芳"), ("13900000002", "刘建华"), ("13900000003", "陈玉兰"),
    ("13900000004", "王德顺"), ("13900000005", "李淑珍"), ("13900000006", "赵志刚"),
    ("13900000007", "孙秀英"), ("13900000008", "周国庆"), ("13900000009", "吴丽华"),
    ("13900000010", "郑春生"), ("13900000011", "冯晓梅"), ("13900000012", "褚卫东"),
]


def _next_wednesday(today: date) -> date:
    return today + timedelta(days=(lectures.WEDNESDAY - today.weekday()) % 7 or 7)


def seed() -> list[tuple[str, User]]:
    """Create the demo community and return the logins to print, as (role, user) pairs."""
    now = now_utc()

    def new_user(phone: str, name: str, roles: tuple[Role, ...]) -> User:
        return accounts.register_user(
            phone=phone, display_name=name, password=DEMO_PASSWORD, now=now, roles=roles
        )

    admin = new_user("13800000000", "王建国", (Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))
    organizer = new_user("13800000001", "李秀兰", (Role.RESIDENT, Role.ORGANIZER))
    residents = [new_user(phone, name, (Role.RESIDENT,)) for phone, name in RESIDENTS]

    venues = [Venue(name=name, address=address) for name, address in VENUES]
    db.session.add_all(venues)

    wenshi = Program(
        kind=ProgramKind.LECTURE_SERIES, slug="wenshi-jiangtang", name="周三文史讲堂",
        description="街道学社讲堂，每周三上午为社区居民讲解文史知识，设齐国故城系、文化名人、中国古籍等十余个专题。",
        organizers=[organizer],
    )
    wenshi.series = [
        Series(slug=slug, name=name, position=index) for index, (slug, name) in enumerate(LECTURE_SERIES)
    ]
    team = Program(
        kind=ProgramKind.LECTURE_TEAM, slug="pugongying", name="蒲公英宣讲队",
        description="理论宣讲志愿服务队，常态化开展理论知识、爱国教育、精神文明等宣讲活动。",
        organizers=[organizer],
    )
    troupes = [
        Program(kind=ProgramKind.TROUPE, slug=slug, name=name, description=text, organizers=[organizer])
        for slug, name, text in TROUPES
    ]
    youth = [
        Program(kind=ProgramKind.YOUTH, slug=slug, name=name, description=text, organizers=[organizer])
        for slug, name, text in YOUTH
    ]
    db.session.add_all([wenshi, team, *troupes, *youth])
    db.session.flush()

    series = {s.slug: s for s in wenshi.series}
    first = _next_wednesday(to_local(now).date())
    plan = WeeklyPlan(
        title=f"{first.year}年{'春夏' if 2 <= first.month <= 7 else '秋冬'}学期", weekdays=frozenset({lectures.WEDNESDAY}),
        first_day=first, last_day=first + timedelta(weeks=len(LECTURES) - 1),
        start_time=time(9, 30), end_time=time(11), capacity=40, booking_cutoff_minutes=60, venue=venues[0],
    )
    # Fourteen lectures: a week longer for each Wednesday that is a public holiday.
    while len(schedules.plan_layout(wenshi, plan, now=now).days) < len(LECTURES):
        plan = replace(plan, last_day=plan.last_day + timedelta(weeks=1))
    term = lectures.create_term(wenshi, plan, actor=organizer, now=now).events
    for event, (slug, title, speaker, summary) in zip(term, LECTURES):
        event.series, event.title, event.speaker, event.summary = series[slug], title, speaker, summary
    # The second lecture is in the small reading room: full, with people waiting.
    full = term[1]
    events.edit_event(full, replace(events.EventChanges.of(full), venue=venues[1], capacity=6), actor=organizer,
                      now=now)

    for resident in residents[:9]:
        booking.book_seat(full, resident, now=now, waitlist=True)
    for index, event in enumerate(term[:6]):
        for resident in residents[index: index + 5]:
            booking.book_seat(event, resident, now=now, waitlist=True)
    # The second demo resident waits for the full lecture: "tentative" in their calendar.
    booking.book_seat(full, residents[9], now=now, waitlist=True)

    # Calendar subscribers see changes: one lecture moved to 10:00 (SEQUENCE 1), and one
    # that 张桂芳 booked cancelled with a reason (已取消 in her calendar for 30 days).
    moved = term[2]
    moved_start = to_local(moved.starts_at).replace(hour=10, minute=0)
    events.edit_event(moved, replace(
        events.EventChanges.of(moved), summary=moved.summary + "（改为十点开始）", starts_at=moved_start,
        ends_at=moved_start + timedelta(minutes=90),
    ), actor=organizer, now=now)
    dropped = term[6]
    booking.book_seat(dropped, residents[0], now=now)
    events.cancel_event(dropped, "主讲老师临时外出，改期另行通知", actor=organizer, now=now)

    # Past lectures, so "my bookings" has a history and the dashboard has numbers.
    past_lectures = []
    for weeks_ago, (slug, title, speaker, summary) in (
        (1, LECTURES[11]), (2, LECTURES[0]), (5, LECTURES[3]), (9, LECTURES[7]),
    ):
        day = first - timedelta(weeks=weeks_ago + 1)
        start = local_datetime(day, time(9, 30))
        past = events.new_event(
            wenshi, title=title, starts_at=start, ends_at=start + timedelta(minutes=90),
            capacity=40, booking_cutoff=timedelta(hours=1), venue=venues[0], series=series[slug],
            speaker=speaker, summary=summary, now=start - timedelta(days=14),
        )
        db.session.flush()
        for resident in residents[: 8 if weeks_ago <= 2 else 11]:
            booking.book_seat(past, resident, now=start - timedelta(days=3))
        past_lectures.append(past)
    _take_attendance(past_lectures, organizer, residents, now=now)
    _today(wenshi, venues[2], residents, now=now)
    db.session.flush()
    volunteer = demo_team.seed(now=now, team=team, organizer=organizer, residents=residents, venues=venues,
                               lectures_to_staff=term[:2])
    more = demo_troupes_youth.seed(
        programs=[*troupes, *youth], venues=venues, residents=residents, now=now, password=DEMO_PASSWORD,
    )
    _messages(organizer=organizer, first_lecture=term[0], volunteer=volunteer, now=now)
    building_leader, grid_worker = demo_neighbourhood.seed(
        now=now, admin=admin, organizer=organizer, residents=residents, venues=venues, wenshi=wenshi, term=term,
        password=DEMO_PASSWORD,
    )
    return [
        ("admin", admin), ("organizer", organizer), ("resident", residents[0]), ("resident", residents[9]),
        ("volunteer", volunteer), ("parent", more.parent), ("leader", more.leader),
        ("building", building_leader), ("grid", grid_worker),
    ]


def _messages(*, organizer: User, first_lecture, volunteer: User, now) -> None:
    """Leave a few unread messages for the demo resident and volunteer: the memberships the
    seeding approved are old news (read); the lecture moved and the one cancelled stay
    new, and the organizer writes to next week's lecture and to the volunteers of a talk."""
    db.session.execute(
        sa.update(Notification)
        .where(Notification.kind.in_([
            NotificationKind.MEMBERSHIP_APPROVED, NotificationKind.MEMBERSHIP_WAITLISTED,
            NotificationKind.MEMBERSHIP_PROMOTED,
        ]))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    organizer_messages.send_message(
        first_lecture, organizer, "本周讲座请提前十分钟入场；字幕较小，请带上老花镜。",
        [organizer_messages.Audience.SEATS, organizer_messages.Audience.WAITING], now=now,
    )
    coming = [booking for booking, _role, outcome in shifts.shifts_of(volunteer, now=now)
              if booking.is_confirmed and outcome is None and booking.event.program.kind is ProgramKind.LECTURE_TEAM]
    if coming:
        organizer_messages.send_message(
            coming[0].event, organizer, "请各位志愿者提前半小时到场，主持人请带上串词稿走一遍台。",
            [organizer_messages.Audience.VOLUNTEERS], now=now,
        )


def _take_attendance(past_lectures, organizer: User, residents: list[User], *, now) -> None:
    """Attendance as it was taken at the past lectures: most came (some by scanning the
    QR code, some late), one came without a booking, one was excused, one didn't come."""
    for index, event in enumerate(past_lectures):
        start = event.starts_at
        bookings = {
            b.user_id: b for b in db.session.execute(
                sa.select(Booking).where(Booking.event_id == event.id, Booking.status == BookingStatus.CONFIRMED)
            ).scalars()
        }
        for position, resident in enumerate(residents[:11]):
            held = bookings.get(resident.id)
            if held is None:
                continue
            at = start - timedelta(minutes=20) + timedelta(minutes=2 * position)
            if resident is residents[6] and index < 2:
                continue  # 孙秀英 didn't come twice lately: no-shows once the lectures ended
            if resident is residents[7] and index == 0:
                attendance.excuse(event, held.id, "提前打电话请假：去医院复查", actor=organizer,
                                  now=event.ends_at + timedelta(hours=1))
            elif position % 3 == 0:
                attendance.check_in_self(event, resident, now=at)
            elif position == 5:
                attendance.mark_booking(event, held.id, AttendanceStatus.LATE, actor=organizer,
                                        now=start + timedelta(minutes=15))
            else:
                attendance.mark_booking(event, held.id, AttendanceStatus.PRESENT, actor=organizer, now=at)
        if index < 2:  # 褚卫东 came without booking
            attendance.add_walk_in(event, name=residents[11].display_name, phone=residents[11].phone,
                                   actor=organizer, now=start + timedelta(minutes=5))
    no_shows.mark_no_shows(now=now)


def _today(program: Program, venue: Venue, residents: list[User], *, now) -> None:
    """A lecture starting a quarter of an hour after the demo is made: its check-in is
    open, so the roster and the QR screen can be tried at once."""
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=15)
    event = events.new_event(
        program, title="今日加场：《论语》里的邻里之道", starts_at=start, ends_at=start + timedelta(hours=2),
        capacity=30, booking_cutoff=timedelta(minutes=5), venue=venue, speaker="高明远（社区老年大学教师）",
        summary="远亲不如近邻——从《论语》说到今天的邻里相处。", now=now - timedelta(days=3),
    )
    db.session.flush()
    for resident in residents[:10]:
        booking.book_seat(event, resident, now=now - timedelta(days=1))
    for resident in residents[1:3]:
        attendance.check_in_self(event, resident, now=now)
