"""Agents: scripted, learning and LLM agents behind one small protocol."""
