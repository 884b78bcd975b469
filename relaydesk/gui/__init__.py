"""The desktop app. The only package that imports PySide6; ``app.py`` alone owns qasync."""
