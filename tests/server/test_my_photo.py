"""GET /api/v1/me/photo: the terminal draws the photo with the student's token."""

from __future__ import annotations

from tests.server.conftest import World, tiny_jpeg


async def test_the_student_gets_their_photo_at_their_terminal_only(world: World) -> None:
    await world.add_student(1, email="a@stu.test")
    login = await world.login("a@stu.test")
    token = login.json()["token"]
    response = await world.client.get("/api/v1/me/photo", headers=world.headers(token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content == tiny_jpeg()
    assert "no-store" in response.headers["cache-control"]
    elsewhere = world.headers(token, world.other_terminal_key)
    assert (await world.client.get("/api/v1/me/photo", headers=elsewhere)).status_code == 401
    anonymous = world.headers()
    assert (await world.client.get("/api/v1/me/photo", headers=anonymous)).status_code == 401
