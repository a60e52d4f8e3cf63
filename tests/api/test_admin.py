"""Courts and users administration; generic error shapes."""

from tests.api.conftest import PASSWORD


def test_courts_list_create_update(env):
    r = env.client.get("/api/v1/courts", headers=env.h("judge1"))
    assert r.status_code == 200 and {c["code"] for c in r.json()} >= {"TANDTC", "HN-KV1"}
    body = {"name": "Tòa án nhân dân khu vực 2 - Bắc Ninh", "code": "bn-kv2", "level": "khu_vuc",
            "parent_id": env.courts["BN"], "province": "Bắc Ninh"}
    assert env.client.post("/api/v1/courts", json=body, headers=env.h("hnadmin")).status_code == 403
    assert env.client.post("/api/v1/courts", json=body).status_code == 401
    r = env.client.post("/api/v1/courts", json=body, headers=env.h("admin"))
    assert r.status_code == 201 and r.json()["code"] == "BN-KV2"
    r = env.client.post("/api/v1/courts", json=body, headers=env.h("admin"))
    assert r.status_code == 409 and "đã tồn tại" in r.json()["detail"]
    r = env.client.post("/api/v1/courts", json={**body, "code": "X", "level": "xa"}, headers=env.h("admin"))
    assert r.status_code == 422 and "cấp phải là một trong" in r.json()["detail"]
    cid = env.courts["BN"]
    r = env.client.patch(f"/api/v1/courts/{cid}", json={"parent_id": env.courts["BN-KV1"]},
                         headers=env.h("admin"))
    assert r.status_code == 422 and "cấp dưới" in r.json()["detail"]
    r = env.client.patch(f"/api/v1/courts/{cid}", json={"province": "Bắc Ninh"}, headers=env.h("admin"))
    assert r.status_code == 200 and r.json()["province"] == "Bắc Ninh"


def test_courts_import_csv(env):
    data = ("code,name,level,parent_code,province\n"
            "HCM,Tòa án nhân dân TP Hồ Chí Minh,tinh,TANDTC,TP Hồ Chí Minh\n"
            "HCM-KV1,Tòa án nhân dân khu vực 1 - TP HCM,khu_vuc,HCM,TP Hồ Chí Minh\n"
            "BAD,Tòa sai,xa,HCM,\n"
            "ORPHAN,Tòa mồ côi,khu_vuc,NOPE,\n").encode()
    r = env.client.post("/api/v1/courts/import", files={"file": ("c.csv", data)}, headers=env.h("admin"))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 2 and [e["row"] for e in r.json()["errors"]] == [4, 5]
    r = env.client.post("/api/v1/courts/import", files={"file": ("c.csv", b"a,b\n1,2\n")},
                        headers=env.h("admin"))
    assert r.status_code == 422 and "code, name, level" in r.json()["detail"]
    assert env.client.post("/api/v1/courts/import", files={"file": ("c.csv", data)},
                           headers=env.h("judge1")).status_code == 403


def test_users_admin(env):
    body = {"username": "thamphan.moi", "full_name": "Đỗ Thị Hoa", "password": PASSWORD,
            "role": "judge", "title": "Thẩm phán", "court_id": env.courts["HN-KV2"]}
    assert env.client.post("/api/v1/users", json=body, headers=env.h("judge1")).status_code == 403
    r = env.client.post("/api/v1/users", json=body, headers=env.h("hnadmin"))
    assert r.status_code == 201, r.text
    assert r.json()["court_name"] == "Tòa án nhân dân khu vực 2 - Hà Nội"
    r = env.client.post("/api/v1/users", json=body, headers=env.h("admin"))
    assert r.status_code == 409
    r = env.client.post("/api/v1/users", json={**body, "username": "bn.tp", "court_id": env.courts["BN-KV1"]},
                        headers=env.h("hnadmin"))
    assert r.status_code == 403 and "Tòa án mình" in r.json()["detail"]
    r = env.client.post("/api/v1/users", json={**body, "username": "sieu", "role": "admin"},
                        headers=env.h("hnadmin"))
    assert r.status_code == 403
    for bad, needle in [({"username": "Có Dấu"}, "Tên đăng nhập"), ({"password": "123"}, "mật khẩu"),
                        ({"role": "boss"}, "vai trò"), ({"court_id": "abc"}, "Tòa án phải là số nguyên")]:
        r = env.client.post("/api/v1/users", json={**body, "username": "u.x", **bad}, headers=env.h("admin"))
        assert r.status_code == 422 and needle in r.json()["detail"], (bad, r.json())
    lst = env.client.get("/api/v1/users", headers=env.h("hnadmin")).json()
    assert "thamphan.moi" in {u["username"] for u in lst} and "judge3" not in {u["username"] for u in lst}
    assert env.client.get("/api/v1/users", headers=env.h("reviewer")).status_code == 403
    uid = env.users["admin"]
    r = env.client.patch(f"/api/v1/users/{uid}", json={"is_active": False}, headers=env.h("admin"))
    assert r.status_code == 422 and "chính mình" in r.json()["detail"]


def test_generic_errors_are_vietnamese(env):
    r = env.client.get("/api/v1/khong-co", headers=env.h("judge1"))
    assert r.status_code == 404 and r.json() == {"detail": "Không tìm thấy địa chỉ yêu cầu."}
    r = env.client.put("/api/v1/ask", headers=env.h("judge1"))
    assert r.status_code == 405 and "Phương thức" in r.json()["detail"]
    r = env.client.post("/api/v1/ask", content=b"{not json", headers={
        **env.h("judge1"), "Content-Type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    r = env.client.post("/api/v1/ask", content=b"\x00\x01", headers={
        **env.h("judge1"), "Content-Type": "application/json"})
    assert r.status_code == 422
    r = env.client.post("/api/v1/qa", json=[1, 2], headers=env.h("judge1"))
    assert r.status_code == 422 and r.json()["detail"].startswith("Dữ liệu không hợp lệ")


def test_nul_and_control_characters_never_500(env):
    r = env.client.post("/api/v1/qa", headers=env.h("judge1"), json={
        "question": "Thời hạn\x00 kháng cáo\x07 là bao lâu?", "answer": "15 ngày\x00", "field": "dân sự"})
    assert r.status_code == 201 and "\x00" not in r.json()["question"]
    r = env.client.post("/api/v1/auth/token", data={"username": "ju\x00dge1", "password": "x"})
    assert r.status_code == 401
    r = env.client.get("/api/v1/qa", params={"q": "kháng\x00cáo"}, headers=env.h("judge1"))
    assert r.status_code == 200


def test_openapi_is_vietnamese(env):
    spec = env.client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "Trợ lý ảo Tòa án"
    assert spec["paths"]["/api/v1/ask"]["post"]["summary"] == "Đặt câu hỏi"
