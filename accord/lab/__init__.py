"""The lab: scenarios, runners, sweeps, metrics, results and reports."""
