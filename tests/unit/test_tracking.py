from app.domain import Box, Match
from app.pipeline.tracking import Observation, Track, Tracker, summarize, unknown_after


def hit(name):
    return Match(name, 0.3, 0.6, 75) if name else Match(None, 0.9, 0.6, 0)


def track(tid, frames_and_names, is_face=None):
    t = Track(tid, is_face=is_face)
    t.observations = [Observation(f, Box(0, 0, 10, 10), n) for f, n in frames_and_names]
    return t


def test_tracker_follows_overlapping_boxes_and_splits_distant_ones():
    tr = Tracker(max_gap=2)
    a = tr.assign(0, [Box(0, 0, 50, 50), Box(200, 0, 50, 50)])
    for t, b in zip(a, [Box(0, 0, 50, 50), Box(200, 0, 50, 50)], strict=True):
        t.observations.append(Observation(0, b, None))
    b = tr.assign(1, [Box(205, 5, 50, 50), Box(5, 0, 50, 50)])
    assert [t.id for t in b] == [a[1].id, a[0].id]
    c = tr.assign(5, [Box(0, 0, 50, 50)])  # gap too long: a new track
    assert c[0].id not in {a[0].id, a[1].id}


def test_one_frame_fluke_is_not_a_sighting():
    s = summarize([track(0, [(0, hit("Ann")), (5, hit(None)), (10, hit(None))])], 2, 25.0, 100)
    assert s.residents == ()
    assert s.unknown_faces == 1  # a face seen three times, never confirmed: one unknown


def test_confirmed_resident_spans_all_observations_of_the_track():
    obs = [(10, hit("Ann")), (15, None), (20, hit("Ann")), (25, hit(None)), (30, None)]
    s = summarize([track(0, obs)], 2, 25.0, 100)
    (ann,) = s.residents
    assert (ann.name, ann.first_frame, ann.last_frame, ann.frames) == ("Ann", 10, 30, 5)
    assert (ann.first_seen_s, ann.last_seen_s, ann.confidence) == (0.4, 1.2, 75)
    assert s.labels == {10: "Ann", 15: "Ann", 20: "Ann", 25: "Ann", 30: "Ann"}


def test_identity_needs_more_votes_than_all_rivals():
    obs = [(0, hit("Ann")), (5, hit("Ann")), (10, hit("Ben")), (15, hit("Ben"))]
    assert summarize([track(0, obs)], 2, 25.0, 100).residents == ()


def test_unknown_faces_are_counted_per_track_not_per_frame():
    tracks = [
        track(0, [(f, hit(None)) for f in range(0, 50, 5)]),  # one stranger, ten frames
        track(1, [(0, hit(None))]),  # one-frame detection: noise
        track(2, [(0, hit(None)), (5, hit(None))], is_face=False),  # verifier: not a face
        track(3, [(0, hit(None)), (5, None)]),
    ]
    assert summarize(tracks, 2, 25.0, 100).unknown_faces == 2


def test_single_image_confirms_with_one_vote():
    s = summarize([track(0, [(0, hit("Ann"))]), track(1, [(0, hit(None))])], 1, 0.0, 100)
    assert [r.name for r in s.residents] == ["Ann"]
    assert s.unknown_faces == 1
    assert s.residents[0].first_seen_s == 0.0


def test_labels_are_capped():
    s = summarize([track(0, [(f, hit("Ann")) for f in range(300)])], 2, 25.0, 100)
    assert len(s.labels) == 100
    assert s.residents[0].frames == 300


def test_a_track_mostly_too_small_for_its_blur_is_unrecognisable_not_unknown():
    blurred = Match(None, 0.2, 0.05, 0, unrecognisable=True)
    mostly = track(0, [(0, blurred), (5, blurred), (10, hit(None))])
    rarely = track(1, [(0, blurred), (5, hit(None)), (10, hit(None))])
    s = summarize([mostly, rarely], 2, 25.0, 100)
    assert (s.unrecognisable_faces, s.unknown_faces, s.residents) == (1, 1, ())


def test_a_track_is_decided_by_agreeing_names_or_by_enough_matches_naming_nobody():
    assert track(0, [(0, hit("Ann")), (5, hit("Ann"))]).decided(2)
    assert not track(0, [(0, hit("Ben")), (5, hit("Ann"))]).decided(2)
    assert not track(0, [(0, hit(None)), (5, hit(None))]).decided(2)  # may yet be recognised
    nobody = [(f, hit(None)) for f in range(0, 25, 5)]
    assert len(nobody) == unknown_after(2)
    assert track(0, nobody).decided(2)
    assert not track(0, [*nobody[:-1], (20, hit("Ann"))]).decided(2)
    assert not track(0, [*nobody, (30, None)][1:]).decided(2)  # one not matched: 4 of 5
