"""Taobao and Tmall, through the Taobao Open Platform (TOP) and its message channel (TMC)."""
