"""Tests of the Xero sandbox (real HTTP on loopback)."""
