"""Keeps the Bedrock knowledge base in sync with the documents bucket (see ingestion.py)."""
