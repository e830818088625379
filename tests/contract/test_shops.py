"""ShopStore: that a marketplace shop uninstalled our app, and when (the latest word wins)."""


def test_a_shop_never_uninstalled_has_no_time(shops):
    assert shops.uninstalled_at("shopify-acme") is None


def test_an_uninstall_is_kept_per_shop(shops):
    shops.mark_uninstalled("shopify-acme", "2026-11-22T07:59:58Z")

    assert shops.uninstalled_at("shopify-acme") == "2026-11-22T07:59:58Z"
    assert shops.uninstalled_at("shopify-other") is None


def test_a_later_uninstall_replaces_the_earlier(shops):
    shops.mark_uninstalled("shopify-acme", "2026-11-22T07:59:58Z")
    shops.mark_uninstalled("shopify-acme", "2026-11-25T10:00:00Z")

    assert shops.uninstalled_at("shopify-acme") == "2026-11-25T10:00:00Z"


def test_a_shop_never_polled_has_no_cursor(shops):
    assert shops.cursor("tmall-acme", "refunds") is None


def test_a_cursor_moves_forward_per_shop_and_name(shops):
    shops.move_cursor("tmall-acme", "refunds", "2026-11-22T08:00:00Z")
    shops.move_cursor("tmall-acme", "refunds", "2026-11-22T09:00:00Z")
    shops.move_cursor("jd-acme", "services", "2026-11-22T07:00:00Z")

    assert shops.cursor("tmall-acme", "refunds") == "2026-11-22T09:00:00Z"
    assert shops.cursor("tmall-acme", "services") is None
    assert shops.cursor("jd-acme", "services") == "2026-11-22T07:00:00Z"


def test_a_cursor_never_moves_back(shops):
    shops.move_cursor("tmall-acme", "refunds", "2026-11-22T09:00:00Z")
    shops.move_cursor("tmall-acme", "refunds", "2026-11-22T08:00:00Z")

    assert shops.cursor("tmall-acme", "refunds") == "2026-11-22T09:00:00Z"


def test_an_uninstall_keeps_the_cursors(shops):
    shops.move_cursor("shopify-acme", "refunds", "2026-11-22T09:00:00Z")
    shops.mark_uninstalled("shopify-acme", "2026-11-25T10:00:00Z")

    assert shops.cursor("shopify-acme", "refunds") == "2026-11-22T09:00:00Z"
