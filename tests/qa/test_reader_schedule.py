"""Epochs of reader training: a finished run is continued by raising --epochs. The plan's key
ignores the epoch count (so the checkpoint resumes), each epoch warms up and decays again from
half the last peak, and each later epoch batches the same pairs in another order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa.reader.train import Plan, batches, learning_rate_factor


def test_more_epochs_resume_the_same_checkpoint() -> None:
    plan = Plan()
    assert replace(plan, epochs=3).key() == plan.key()
    assert replace(plan, lr=plan.lr / 2).key() != plan.key()


def test_each_epoch_restarts_the_schedule_at_half_the_peak() -> None:
    per_epoch, share = 100, 0.1
    first = [learning_rate_factor(step, per_epoch, share) for step in range(per_epoch)]
    second = [learning_rate_factor(step, per_epoch, share) for step in range(per_epoch, 2 * per_epoch)]
    assert max(first) == pytest.approx(1.0) and max(second) == pytest.approx(0.5)
    assert first[0] < first[9] and first[-1] < 0.02  # warm-up, then decay to ~0
    assert second == pytest.approx([0.5 * f for f in first])


def test_later_epochs_batch_the_same_pairs_in_another_order() -> None:
    plan = Plan(batch_size=4)
    features = [([0] * (1 + i % 7), i, i) for i in range(64)]  # (token ids, start, end) with start = id
    one, two = batches(features, plan, 1, 0), batches(features, plan, 1, 1)

    def pairs(epoch: list) -> list[list[int]]:
        return [sorted(labels[:, 0].tolist()) for _, _, labels in epoch]

    assert (
        sorted(i for b in pairs(one) for i in b)
        == sorted(i for b in pairs(two) for i in b)
        == list(range(64))
    )
    assert pairs(one) != pairs(two)
    assert pairs(batches(features, plan, 1, 0)) == pairs(one)  # an epoch's batches are fixed: resumable
