"""The LLM DeFi answer as a table: mean per protection setting over seeds (Markdown).

python examples/llm/table.py runs/llm-defi
"""

from __future__ import annotations

import sys

from accord.lab.results import query

SQL = """
SELECT "params.trader_tools" AS trader, "device.mempool" AS mempool,
       "device.ordering" AS ordering, count(*) AS runs,
       avg(trader_shortfall_bps) AS shortfall_bps, avg(searcher_pnl_usd) AS searcher_usd,
       sum(sandwiches_landed) AS landed, sum(sandwich_attempts) AS attempts,
       sum(searcher_refused) AS refused, sum(unfilled) AS unfilled,
       sum(llm_calls) AS calls, sum(llm_tokens) AS tokens,
       sum(llm_invalid_answers) AS invalid
FROM results WHERE status = 'ok' GROUP BY 1, 2, 3 ORDER BY 1 DESC, 2, 3 DESC
"""

HEAD = (
    "| trader may use | mempool | ordering | runs | trader shortfall (bps) | searcher P&L (USD) "
    "| sandwiches landed / tried | refused by device | unfilled needs | LLM calls | tokens "
    "| invalid answers retried |"
)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    run_dir = args[0] if args else "runs/llm-defi"
    print(HEAD)
    print("|" + "|".join("---" for _ in range(12)) + "|")
    for r in query(run_dir, SQL):
        tools = "swaps + intents" if r["trader"] == "intent" else "swaps only"
        print(
            f"| {tools} | {r['mempool']} | {r['ordering']} | {r['runs']} | "
            f"{r['shortfall_bps']:.1f} | {r['searcher_usd']:,.0f} | "
            f"{r['landed']} / {r['attempts']} | {r['refused']} | {r['unfilled']} | "
            f"{r['calls']} | {r['tokens']:,} | {r['invalid']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
