// placeholder so the library is never empty; replaced by real sources
