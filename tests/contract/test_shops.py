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
