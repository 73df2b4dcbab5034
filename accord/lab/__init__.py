"""The lab: scenarios, runners, sweeps, metrics, results and reports (``docs/lab.md``).

- ``scenario``: a TOML file naming a game, its parameters, the device's design, seeds.
- ``runner``: a scenario's grid × replicates expanded into runs and executed.
- ``runs``: one run: its spec, its outcome, and the function that executes it.
- ``ray_backend``: the same sweep on Ray, one task per run.
- ``durable``: runs saved as they finish, resumable sweeps; ``parts`` the part files;
  ``rundir`` run directories replaced atomically.
- ``results``: one Parquet row per run, written and read with DuckDB.
- ``stats``: per grid point, each metric's mean over seeds and its interval.
- ``paired``: paired differences against a baseline design (common random numbers).
- ``report``: the HTML report page; ``report_sections`` its summary, paired and
  glossary sections, ``plots`` its plots, ``report_style`` its numbers and stylesheet.
- ``provenance``: which installation produced a run.
- ``pools``: pool files for ``accord route``.
- ``tour``: the device tour (``accord demo``).
"""
