"""Local stand-ins for Microsoft Graph that the tests and the benchmarks share (not tests themselves)."""
