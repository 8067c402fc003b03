"""Fault drills on the whole topology, started by `platform/drill` (see docs/reliability.md).

Python, not shell, for what needs the site's code: seeding the drill's data, driving work
through nginx, injecting each fault and counting what came out. Not in platform/: a package
named `platform` would shadow the standard library module.
"""
