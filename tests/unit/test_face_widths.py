from app.cameras.face_widths import MAX_FACES, MAX_PX, FaceWidths


def test_the_median_width_of_the_faces_seen():
    widths = FaceWidths()
    assert (widths.count, widths.median) == (0, None)
    widths.add([])
    assert widths.median is None
    widths.add([90, 120, 100])
    assert (widths.count, widths.median) == (3, 100)
    widths.add([80])
    assert widths.median == 90  # the lower middle of an even count


def test_it_stays_bounded_and_follows_what_the_camera_sees_lately():
    widths = FaceWidths()
    widths.add([60] * MAX_FACES)
    for _ in range(100):  # halved on the way: the newer faces weigh more
        widths.add([200] * (MAX_FACES // 100))
    assert widths.count <= MAX_FACES and widths.median == 200
    widths.add([10**6])
    assert max(widths._bins) == MAX_PX
