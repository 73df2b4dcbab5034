"""``python -m accord.cli``: the ``accord`` command without the installed script."""

from accord.cli.main import app

app()
