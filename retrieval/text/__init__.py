"""Text: normalising (simplified, half-width, folded offsets) and segmentation into words."""
