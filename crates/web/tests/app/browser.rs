//! A real browser walks the flows a person walks (headless Chromium through chromedriver).
