"""The bare baseline for ``POST /api/orders``: one Django + ninja app, no modules, no contracts,
no events. It validates the same JSON body and makes the same inserts (one order row and its
line rows, in one SQLite database configured like the monolith's), then answers the same shape.

``POST /api/prices`` is the bare counterpart of the internal contract endpoint
``POST /internal/inventory/get_prices``: the same SELECT of products by sku (``bench_remote``).
"""
