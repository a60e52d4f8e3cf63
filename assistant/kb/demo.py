"""Demo data: a small court hierarchy, accounts for every role, ~20 procedural Q&A
entries written for the demo (BLTTDS, BLTTHS, Luật TTHC), and some usage events.

Why: a fresh installation must show the whole flow (ask, contribute, review, statistics)
within minutes. The answers cite real articles of the 2015 procedural codes; they are
demo content, not official guidance, and should be checked against the current
consolidated texts (the 2025 court reform renamed district courts "khu vực").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.kb.errors import InvalidInput
from assistant.kb.models import Court, UnansweredQuestion, UsageEvent, User, utcnow
from assistant.kb.services import qa as qa_service
from assistant.kb.services.courts import create_court
from assistant.kb.services.users import create_user
from assistant.search_types import SearchEngine

DEMO_PASSWORD = "demo-toaan-2025"  # ≥ 12 characters (password policy, issue 11)

COURTS = [
    ("TANDTC", "Tòa án nhân dân tối cao", "tandtc", None, None),
    ("CC-HN", "Tòa án nhân dân cấp cao tại Hà Nội", "cap_cao", "TANDTC", "Hà Nội"),
    ("HN", "Tòa án nhân dân thành phố Hà Nội", "tinh", "CC-HN", "Hà Nội"),
    ("HN-KV1", "Tòa án nhân dân khu vực 1 - Hà Nội", "khu_vuc", "HN", "Hà Nội"),
    ("HN-KV2", "Tòa án nhân dân khu vực 2 - Hà Nội", "khu_vuc", "HN", "Hà Nội"),
    ("BN", "Tòa án nhân dân tỉnh Bắc Ninh", "tinh", "CC-HN", "Bắc Ninh"),
    ("BN-KV1", "Tòa án nhân dân khu vực 1 - Bắc Ninh", "khu_vuc", "BN", "Bắc Ninh"),
    ("BN-KV2", "Tòa án nhân dân khu vực 2 - Bắc Ninh", "khu_vuc", "BN", "Bắc Ninh"),
]

USERS = [
    ("admin", "Quản trị hệ thống", "admin", "TANDTC", "Quản trị viên"),
    ("qt.hanoi", "Vũ Thị Giang", "court_admin", "HN", "Chánh Văn phòng"),
    ("qt.bacninh", "Ngô Văn Hải", "court_admin", "BN", "Chánh Văn phòng"),
    ("duyet.hanoi", "Phạm Thị Dung", "reviewer", "HN", "Thẩm phán"),
    ("duyet.bacninh", "Đinh Văn Khoa", "reviewer", "BN", "Thẩm tra viên"),
    ("an.nguyen", "Nguyễn Văn An", "judge", "HN-KV1", "Thẩm phán"),
    ("binh.tran", "Trần Thị Bình", "judge", "HN-KV1", "Thẩm phán"),
    ("cuong.le", "Lê Văn Cường", "judge", "HN-KV2", "Thẩm phán"),
    ("dung.hoang", "Hoàng Thị Dung", "judge", "HN-KV2", "Thư ký Tòa án"),
    ("em.bui", "Bùi Văn Em", "judge", "BN-KV1", "Thẩm phán"),
    ("ha.do", "Đỗ Thị Hà", "judge", "BN-KV2", "Thẩm phán"),
]

# (author, status, field, question, answer, citation)
ENTRIES = [
    ("an.nguyen", "approved", "dân sự",
     "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?",
     "Thời hạn kháng cáo bản án sơ thẩm là 15 ngày, kể từ ngày tuyên án. Đương sự không có mặt "
     "tại phiên tòa hoặc không có mặt khi tuyên án mà có lý do chính đáng thì thời hạn tính từ "
     "ngày họ nhận được bản án hoặc bản án được niêm yết. Kháng cáo quyết định tạm đình chỉ, "
     "đình chỉ giải quyết vụ án của Tòa án cấp sơ thẩm: 07 ngày, kể từ ngày nhận được quyết "
     "định hoặc quyết định được niêm yết.",
     "khoản 1, khoản 2 Điều 273 BLTTDS"),
    ("binh.tran", "approved", "dân sự",
     "Những trường hợp nào Thẩm phán trả lại đơn khởi kiện?",
     "Thẩm phán trả lại đơn khởi kiện khi: người khởi kiện không có quyền khởi kiện hoặc không "
     "có đủ năng lực hành vi tố tụng dân sự; chưa có đủ điều kiện khởi kiện; sự việc đã được "
     "giải quyết bằng bản án, quyết định đã có hiệu lực pháp luật; hết thời hạn mà người khởi "
     "kiện không nộp tiền tạm ứng án phí (không có lý do chính đáng); vụ án không thuộc thẩm "
     "quyền của Tòa án; người khởi kiện không sửa đổi, bổ sung đơn theo yêu cầu; người khởi "
     "kiện rút đơn. Đương sự có quyền khiếu nại trong 07 ngày làm việc kể từ ngày nhận được "
     "văn bản trả lại đơn (Điều 194).",
     "khoản 1 Điều 192 BLTTDS, Điều 194 BLTTDS"),
    ("cuong.le", "approved", "dân sự",
     "Thời hạn chuẩn bị xét xử vụ án dân sự là bao lâu, có được gia hạn không?",
     "04 tháng kể từ ngày thụ lý đối với vụ án dân sự, hôn nhân và gia đình; vụ án có tính "
     "chất phức tạp hoặc có trở ngại khách quan thì Chánh án có thể gia hạn nhưng không quá "
     "02 tháng. Vụ án kinh doanh, thương mại, lao động: 02 tháng, gia hạn không quá 01 tháng. "
     "Trong 01 tháng kể từ ngày có quyết định đưa vụ án ra xét xử phải mở phiên tòa; có lý do "
     "chính đáng thì không quá 02 tháng.",
     "Điều 203 BLTTDS"),
    ("an.nguyen", "approved", "dân sự",
     "Hoãn phiên tòa sơ thẩm dân sự thì thời hạn hoãn tối đa bao lâu?",
     "Thời hạn hoãn phiên tòa sơ thẩm không quá 01 tháng, kể từ ngày ra quyết định hoãn phiên "
     "tòa (trừ trường hợp xét xử theo thủ tục rút gọn). Quyết định hoãn phiên tòa phải ghi rõ "
     "lý do hoãn và thời gian, địa điểm mở lại phiên tòa.",
     "Điều 233 BLTTDS"),
    ("em.bui", "approved", "dân sự",
     "Khi nào Tòa án ra quyết định tạm đình chỉ giải quyết vụ án dân sự?",
     "Các trường hợp tạm đình chỉ gồm: đương sự là cá nhân đã chết, cơ quan, tổ chức đã sáp "
     "nhập, chia, tách, giải thể mà chưa có người kế thừa quyền và nghĩa vụ tố tụng; đương sự "
     "mất năng lực hành vi dân sự mà chưa xác định được người đại diện; cần đợi kết quả giải "
     "quyết vụ việc khác có liên quan hoặc kết quả ủy thác tư pháp, giám định; cần đợi kết quả "
     "xử lý văn bản quy phạm pháp luật liên quan… Hậu quả: không xóa tên vụ án khỏi sổ thụ lý "
     "(Điều 215).",
     "Điều 214 BLTTDS, Điều 215 BLTTDS"),
    ("binh.tran", "approved", "dân sự",
     "Nguyên đơn được triệu tập hợp lệ lần thứ hai vẫn vắng mặt thì giải quyết thế nào?",
     "Nguyên đơn đã được triệu tập hợp lệ lần thứ hai mà vẫn vắng mặt thì bị coi là từ bỏ yêu "
     "cầu khởi kiện và Tòa án ra quyết định đình chỉ giải quyết vụ án đối với yêu cầu của người "
     "đó, trừ trường hợp họ có đề nghị xét xử vắng mặt hoặc vì sự kiện bất khả kháng, trở ngại "
     "khách quan. Tiền tạm ứng án phí đã nộp bị sung vào công quỹ nhà nước.",
     "Điều 217 BLTTDS, Điều 218 BLTTDS, Điều 227 BLTTDS"),
    ("cuong.le", "approved", "dân sự",
     "Tranh chấp quyền sử dụng đất thì Tòa án nơi nào có thẩm quyền giải quyết?",
     "Đối tượng tranh chấp là bất động sản thì chỉ Tòa án nơi có bất động sản có thẩm quyền "
     "giải quyết theo thủ tục sơ thẩm. Thẩm quyền theo cấp Tòa án xác định theo Điều 35 và "
     "Điều 37 (cần đối chiếu quy định sửa đổi năm 2025 về Tòa án nhân dân khu vực).",
     "điểm c khoản 1 Điều 39 BLTTDS, Điều 35 BLTTDS, Điều 37 BLTTDS"),
    ("ha.do", "approved", "dân sự",
     "Những vụ án dân sự nào không được hòa giải?",
     "Không được hòa giải: yêu cầu đòi bồi thường gây thiệt hại đến tài sản của Nhà nước; vụ "
     "án phát sinh từ giao dịch dân sự vi phạm điều cấm của luật hoặc trái đạo đức xã hội. "
     "Không tiến hành hòa giải được khi bị đơn đã được triệu tập hợp lệ lần thứ hai mà vẫn "
     "cố tình vắng mặt, đương sự không thể tham gia hòa giải vì lý do chính đáng, một bên "
     "vợ/chồng trong vụ án ly hôn mất năng lực hành vi dân sự, hoặc đương sự đề nghị không "
     "hòa giải.",
     "Điều 206 BLTTDS, Điều 207 BLTTDS"),
    ("an.nguyen", "approved", "hôn nhân và gia đình",
     "Sau khi hòa giải thành, bao lâu thì Tòa án ra quyết định công nhận sự thỏa thuận?",
     "Hết thời hạn 07 ngày kể từ ngày lập biên bản hòa giải thành mà không có đương sự nào "
     "thay đổi ý kiến về sự thỏa thuận đó thì Thẩm phán chủ trì phiên hòa giải ra quyết định "
     "công nhận sự thỏa thuận của các đương sự.",
     "Điều 212 BLTTDS"),
    ("dung.hoang", "approved", "dân sự",
     "Sau phiên tòa, Tòa án phải gửi bản án dân sự cho đương sự trong bao lâu?",
     "Trong thời hạn 10 ngày, kể từ ngày kết thúc phiên tòa, Tòa án phải giao hoặc gửi bản án "
     "cho các đương sự, cơ quan, tổ chức, cá nhân khởi kiện và Viện kiểm sát cùng cấp.",
     "khoản 1 Điều 269 BLTTDS"),
    ("em.bui", "approved", "dân sự",
     "Thời hạn kháng nghị phúc thẩm của Viện kiểm sát đối với bản án dân sự?",
     "Viện kiểm sát cùng cấp: 15 ngày; Viện kiểm sát cấp trên trực tiếp: 01 tháng, kể từ ngày "
     "tuyên án. Nếu Kiểm sát viên không tham gia phiên tòa thì thời hạn tính từ ngày Viện kiểm "
     "sát cùng cấp nhận được bản án.",
     "khoản 1 Điều 280 BLTTDS"),
    ("cuong.le", "approved", "hình sự",
     "Thời hạn kháng cáo bản án hình sự sơ thẩm là bao nhiêu ngày?",
     "15 ngày kể từ ngày tuyên án. Đối với bị cáo, đương sự vắng mặt tại phiên tòa thì thời "
     "hạn tính từ ngày họ nhận được bản án hoặc ngày bản án được niêm yết. Thời hạn kháng cáo "
     "quyết định sơ thẩm là 07 ngày kể từ ngày người có quyền kháng cáo nhận được quyết định.",
     "Điều 333 BLTTHS"),
    ("an.nguyen", "approved", "hình sự",
     "Thời hạn tạm giam để điều tra và gia hạn tạm giam theo BLTTHS?",
     "Không quá 02 tháng đối với tội ít nghiêm trọng, 03 tháng đối với tội nghiêm trọng, 04 "
     "tháng đối với tội rất nghiêm trọng và đặc biệt nghiêm trọng. Gia hạn: tội ít nghiêm "
     "trọng một lần không quá 01 tháng; tội nghiêm trọng một lần không quá 02 tháng; tội rất "
     "nghiêm trọng một lần không quá 03 tháng; tội đặc biệt nghiêm trọng hai lần, mỗi lần "
     "không quá 04 tháng.",
     "Điều 173 BLTTHS"),
    ("ha.do", "approved", "hình sự",
     "Thời hạn chuẩn bị xét xử sơ thẩm vụ án hình sự?",
     "30 ngày đối với tội ít nghiêm trọng, 45 ngày đối với tội nghiêm trọng, 02 tháng đối với "
     "tội rất nghiêm trọng, 03 tháng đối với tội đặc biệt nghiêm trọng, kể từ ngày thụ lý. Vụ "
     "án phức tạp có thể gia hạn không quá 15 ngày (ít nghiêm trọng, nghiêm trọng) hoặc 30 "
     "ngày (rất nghiêm trọng, đặc biệt nghiêm trọng). Phải mở phiên tòa trong 15 ngày kể từ "
     "ngày có quyết định đưa vụ án ra xét xử (30 ngày nếu có lý do bất khả kháng).",
     "Điều 277 BLTTHS"),
    ("binh.tran", "approved", "hình sự",
     "Thời hạn kháng nghị phúc thẩm của Viện kiểm sát đối với bản án hình sự?",
     "Viện kiểm sát cùng cấp: 15 ngày; Viện kiểm sát cấp trên trực tiếp: 30 ngày, kể từ ngày "
     "Tòa án tuyên án. Đối với quyết định sơ thẩm: 07 ngày và 15 ngày kể từ ngày Viện kiểm sát "
     "cùng cấp nhận được quyết định.",
     "Điều 337 BLTTHS"),
    ("em.bui", "approved", "hành chính",
     "Thời hạn kháng cáo bản án hành chính sơ thẩm?",
     "15 ngày kể từ ngày tuyên án; đương sự không có mặt tại phiên tòa hoặc khi tuyên án mà có "
     "lý do chính đáng thì tính từ ngày nhận được bản án hoặc bản án được niêm yết. Quyết định "
     "tạm đình chỉ, đình chỉ giải quyết vụ án: 07 ngày.",
     "Điều 206 Luật TTHC"),
    ("cuong.le", "pending", "hành chính",
     "Thời hiệu khởi kiện vụ án hành chính đối với quyết định hành chính là bao lâu?",
     "01 năm kể từ ngày nhận được hoặc biết được quyết định hành chính, hành vi hành chính, "
     "quyết định kỷ luật buộc thôi việc.",
     "điểm a khoản 2 Điều 116 Luật TTHC"),
    ("an.nguyen", "pending", "hình sự",
     "Thời hạn hoãn phiên tòa hình sự sơ thẩm tối đa bao lâu?",
     "Thời hạn hoãn phiên tòa không quá 30 ngày kể từ ngày ra quyết định hoãn phiên tòa.",
     "Điều 297 BLTTHS"),
    ("ha.do", "pending", "dân sự",
     "Thời hạn kháng nghị giám đốc thẩm bản án dân sự là bao lâu?",
     "03 năm kể từ ngày bản án, quyết định của Tòa án có hiệu lực pháp luật; một số trường "
     "hợp được kéo dài thêm theo khoản 2 Điều 334.",
     "Điều 334 BLTTDS"),
    ("dung.hoang", "draft", "hình sự",
     "Thời hạn tạm giam bị cáo sau khi tuyên án sơ thẩm?",
     "Bị cáo đang bị tạm giam bị xử phạt tù mà đến ngày kết thúc phiên tòa thời hạn tạm giam "
     "đã hết thì Hội đồng xét xử ra quyết định tạm giam bị cáo 45 ngày kể từ ngày tuyên án.",
     "Điều 329 BLTTHS"),
]

ASKS = [
    ("an.nguyen", "thời hạn kháng cáo bản án dân sự", True),
    ("binh.tran", "trả lại đơn khởi kiện khi nào", True),
    ("cuong.le", "thời hạn tạm giam để điều tra tội nghiêm trọng", True),
    ("em.bui", "hoãn phiên tòa dân sự bao lâu", True),
    ("ha.do", "ủy thác tư pháp ra nước ngoài mất bao lâu", False),
    ("an.nguyen", "thời hạn kháng cáo bản án dân sự", True),
]


@dataclass
class DemoReport:
    created: bool
    courts: int = 0
    users: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, court
    entries: dict[str, int] = field(default_factory=dict)
    indexed: int = 0
    unresolved_citations: int = 0


def prepare_demo(session: Session, search: SearchEngine | None) -> DemoReport:
    """Create the demo once (idempotent: an existing TANDTC court means it is there)."""
    if session.scalar(select(Court).where(Court.code == "TANDTC")) is not None:
        report = DemoReport(created=False)
        report.users = [(u, r, c) for u, _, r, c, _ in USERS]
        return report
    report = DemoReport(created=True)
    for code, name, level, parent, province in COURTS:
        create_court(session, name=name, code=code, level=level, parent_code=parent,
                     province=province)
        report.courts += 1
    users: dict[str, User] = {}
    for username, full, role, court, title in USERS:
        users[username] = create_user(session, username=username, full_name=full,
                                      password=DEMO_PASSWORD, role=role, title=title,
                                      court_code=court)
        report.users.append((username, role, court))
    # reviewers decide only on entries of their own court tree (docs/api.md)
    reviewers = {"HN": users["duyet.hanoi"], "BN": users["duyet.bacninh"]}
    court_of = {u: c for u, _, _, c, _ in USERS}
    now = utcnow()
    approved = []
    for i, (author, status, fld, question, answer, citation) in enumerate(ENTRIES):
        kwargs: dict[str, Any] = dict(question=question, answer=answer, field=fld, citation_text=citation,
                                      submit=status != "draft")
        try:
            entry = qa_service.create_entry(session, search, users[author], **kwargs)
        except InvalidInput:  # the index does not hold these articles yet: keep the text
            report.unresolved_citations += 1
            entry = qa_service.create_entry(session, None, users[author], **kwargs,
                                            check_citations=False)
        entry.created_at = now - timedelta(days=40 - i)
        session.flush()
        if status == "approved":
            reviewer = reviewers[court_of[author].split("-")[0]]
            entry = qa_service.approve_entry(session, None, reviewer, entry.id)
            entry.approved_at = now - timedelta(days=30 - i)
            approved.append(entry)
        report.entries[status] = report.entries.get(status, 0) + 1
    for i, (who, query, answered) in enumerate(ASKS):
        u = users[who]
        event = UsageEvent(user_id=u.id, court_id=u.court_id, query=query, returned_ids=[],
                           best_score=0.8 if answered else 0.2, latency_ms=120 + 10 * i,
                           answered=answered, created_at=now - timedelta(days=6 - i))
        session.add(event)
        if not answered:
            session.flush()
            session.add(UnansweredQuestion(question=query, asked_by_id=u.id, court_id=u.court_id,
                                           usage_event_id=event.id, created_at=event.created_at))
    session.flush()
    if search is not None and approved:
        search.upsert_qa([qa_service.index_entry(e) for e in approved])
        report.indexed = len(approved)
    return report
