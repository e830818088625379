"""JD POP stores, through the JD Open Service (JOS) router: polled, never pushed (CONNECTORS.md, "JD (JOS)")."""
