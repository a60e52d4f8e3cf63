"""Legal text upload → preview → confirm."""

import io

L = "/api/v1/legal-documents"
LAW = ("LUẬT\nSỬA ĐỔI THỬ NGHIỆM\n\nĐiều 1. Phạm vi điều chỉnh\nLuật này quy định thử nghiệm.\n\n"
       "Điều 2. Đối tượng áp dụng\n1. Cơ quan, tổ chức.\n2. Cá nhân.\n")


def test_upload_preview_confirm(env):
    r = env.client.post(L, headers=env.h("reviewer"), files={"file": ("luat.txt", LAW.encode())},
                        data={"effective_date": "2025-07-01"})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["status"] == "preview" and doc["article_count"] == 2
    assert [p["article_number"] for p in doc["preview"]] == ["1", "2"]
    r = env.client.post(f"{L}/{doc['id']}/confirm", headers=env.h("reviewer"))
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert env.client.post(f"{L}/{doc['id']}/confirm", headers=env.h("reviewer")).status_code == 409
    assert doc["id"] in [d["id"] for d in env.client.get(L, headers=env.h("admin")).json()]


def test_upload_docx(env):
    from docx import Document

    d = Document()
    for line in LAW.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    r = env.client.post(L, headers=env.h("admin"), files={"file": ("luat.docx", buf.getvalue())})
    assert r.status_code == 201, r.text and r.json()["article_count"] == 2


def test_upload_bad_files(env):
    cases = [("a.pdf", b"%PDF", ".txt, .md hoặc .docx"), ("a.txt", b"", "rỗng"),
             ("a.txt", b"\x00\x01\x02binary", "nhị phân"),
             ("a.txt", "không có điều nào".encode(), "Không tìm thấy điều"),
             ("a.docx", b"PK\x03\x04garbage", "")]
    for name, data, needle in cases:
        r = env.client.post(L, headers=env.h("reviewer"), files={"file": (name, data)})
        assert r.status_code == 422, (name, r.text)
        assert needle in r.json()["detail"]
    assert env.client.post(L, headers=env.h("judge1"), files={"file": ("a.txt", LAW.encode())}).status_code == 403
    assert env.client.post(L, files={"file": ("a.txt", LAW.encode())}).status_code == 401
    assert env.client.post(f"{L}/99999/confirm", headers=env.h("reviewer")).status_code == 404
