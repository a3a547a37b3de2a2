"""The registry service: satker, strategy maps, IKU and their manuals, targets with addenda, measures."""
