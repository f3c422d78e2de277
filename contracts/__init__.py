"""Everything that may cross a module boundary: interfaces, DTOs, events and errors.

Standard library only, so that a contract can be shared by a module running in-process and the
same module running as its own service.
"""
