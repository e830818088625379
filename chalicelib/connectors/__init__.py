"""What each outside source speaks: inbound translators to canonical events, and their signatures."""
