"""The shared kernel: the ports every module uses, and the value types every contract shares."""
