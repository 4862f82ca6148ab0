"""Scripted WISMO conversations: the share an owner with correct proof gets resolved by the bot.

    .venv/bin/python bench/chatbot_wismo.py [--conversations 200] [--seed 2026]

200 conversations (half French, half English) by owners of shipped orders, who prove the order
in turn by order number + email, order number + postcode, both in the first message, a verified
identity, or a one-time code mailed to the order's address. A conversation is resolved when the
bot's reply carries the order's tracking link without any hand-over. Goal: at least 80%.
"""

from __future__ import annotations

import argparse
import collections
import random
import time

from _chatbot_setup import setup
from _result import record

BENCH_RUN = {"small": ["--conversations", "40"], "full": []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    if args.conversations < 1:
        parser.error("--conversations must be at least 1")
    described, cleanup = setup()
    try:
        from _chatbot_conversations import converse, orders_create, scripts

        from chatbot.nlu.model import model_get
        from tests.factories import InboxFactory

        model_get()
        inbox = InboxFactory(kind="webchat", name="Bench chat", config={"allowed_origins": []})
        items = scripts(args.conversations, seed=args.seed)
        orders_create(items)
        rng = random.Random(args.seed)
        started = time.perf_counter()
        results = [converse(inbox, s, i, rng=rng) for i, s in enumerate(items)]
        elapsed = time.perf_counter() - started
    finally:
        cleanup()
    resolved = sum(r.resolved for r in results)
    share = resolved / len(results)
    print(f"{len(results)} WISMO conversations on {described} in {elapsed:.1f} s")
    print(f"resolved without an agent: {resolved} ({share:.1%}); goal >= 80%")
    for language in ("fr", "en"):
        subset = [r for r, s in zip(results, items, strict=True) if s.language == language]
        if subset:
            done = sum(r.resolved for r in subset)
            print(f"  {language}: {done}/{len(subset)} ({done / len(subset):.1%})")
    for proof in ("email", "postcode", "combined", "identity", "code"):
        subset = [r for r, s in zip(results, items, strict=True) if s.proof == proof]
        if subset:
            done = sum(r.resolved for r in subset)
            turns = sum(r.turns for r in subset if r.resolved) / max(done, 1)
            print(f"  {proof:<9} {done}/{len(subset)} resolved, {turns:.1f} customer messages each")
    reasons = collections.Counter(r.handed_over for r in results if not r.resolved)
    if reasons:
        print("not resolved: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    record(
        goal="WISMO conversations resolved without an agent >= 80%",
        figure=share * 100,
        unit="%",
        met=share >= 0.8,
        size=f"{len(results)} conversations",
    )


if __name__ == "__main__":
    main()
