"""The three front doors: ``cli`` (and the batch command), ``excel`` (xlwings macros,
worksheet functions, xlwings Lite) and ``jupyter`` (widgets and the Voilà page).

Doors only translate between their medium and the API below them; none imports
another (the CLI starts the others only through their launchers).
"""
