import pytest
import torch

from scalinglaws import ScalingLawsError
from scalinglaws.training.averaging import EMA, WindowAverager, merge


class Scalar(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(3))


def test_window_mean_of_sampled_steps_and_reset():
    m, avg = Scalar(), WindowAverager(window_steps=6, every_steps=2)
    out = {}
    for step in range(1, 13):
        m.w.data.fill_(step)
        r = avg.update(m, step)
        if r is not None:
            out[step] = r
    assert sorted(out) == [6, 12]
    assert torch.equal(out[6][0]["w"], torch.full((3,), (2 + 4 + 6) / 3))  # samples at 2, 4, 6
    assert torch.equal(out[12][0]["w"], torch.full((3,), (8 + 10 + 12) / 3))  # reset at the window start
    assert out[6][1] == out[12][1] == 3


def test_window_state_roundtrip_mid_window():
    m = Scalar()
    a, b = WindowAverager(4, 1), WindowAverager(4, 1)
    for step in (1, 2):
        m.w.data.fill_(step)
        a.update(m, step)
    b.load_state_dict(a.state_dict())
    for step in (3, 4):
        m.w.data.fill_(step)
        ra, rb = a.update(m, step), b.update(m, step)
    assert torch.equal(ra[0]["w"], rb[0]["w"]) and ra[0]["w"][0] == 2.5


def test_window_settings_must_match_on_resume():
    with pytest.raises(ScalingLawsError, match="SWA window"):
        WindowAverager(8, 2).load_state_dict(WindowAverager(4, 2).state_dict(), where="ckpt.pt")
    with pytest.raises(ScalingLawsError, match="positive multiple"):
        WindowAverager(5, 2)


def test_ema():
    m, e = Scalar(), EMA(0.5)
    for v in (4.0, 0.0, 2.0):
        m.w.data.fill_(v)
        e.update(m)
    assert e.weights["w"][0] == pytest.approx(0.5 * (0.5 * 4 + 0) + 0.5 * 2)


def test_merge_weights_by_samples():
    a, b = {"w": torch.tensor([1.0, 2.0])}, {"w": torch.tensor([4.0, 8.0])}
    assert torch.allclose(merge([a, b])["w"], torch.tensor([2.5, 5.0]))
    assert torch.allclose(merge([a, b], [1, 3])["w"], torch.tensor([3.25, 6.5]))
    with pytest.raises(ScalingLawsError, match="different tensors"):
        merge([a, {"w": torch.zeros(3)}])
