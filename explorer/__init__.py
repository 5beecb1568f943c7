"""Streamlit-aware shared code: sidebar controls, URL state, cached compute, charts, page text."""
