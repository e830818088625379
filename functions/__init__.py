"""Lambda handlers that are not HTTP routes: one Chalice Blueprint per function.

Reaches the deployment zip through the committed symlink vendor/functions.
"""
