"""Articles to index: parsing pages, chunking, encoding, index storage."""
