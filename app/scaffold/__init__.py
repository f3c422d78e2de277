"""Module scaffolding: ``python manage.py startmodule <name>`` (see ``app/management/commands``).

The steps, one small file each, run in this order and write nothing until the last one:

    names.py     check the name (and the sample entity's) and derive every spelling of it
    plan.py      list the files to create from the template tree under ``templates/``
    render.py    render every file in memory with Django's template engine
    tidy.py      let ruff sort imports and format, so the output is clean for any name length
    write.py     write into a staging folder, then move into place; roll back on any error

``create.py`` runs them in that order; ``anatomy.py`` says what each file of a module is for
(``--help`` and ``--dry-run`` print it); ``templates/README.md`` explains how to edit a template.
"""
