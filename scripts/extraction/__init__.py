"""``scripts/extract_module.py``: turn a module into its own service, and back.

One responsibility per file:

    project.py     what the script reads: the project's modules, its topology and who hosts what
    validation.py  the refusals, checked before anything is written
    topology_edit.py  the structured edit of topology.toml (tomlkit, comments kept) and its inverse
    deployment.py  deploy/: an env file per service, a Procfile, a docker-compose file
    standalone.py  --standalone DIR: an independent project for the extracted service
    steps.py       the next steps printed after a change
    changes.py     the files a run writes or removes: shown by --dry-run, else written
    cli.py         the command line
"""
