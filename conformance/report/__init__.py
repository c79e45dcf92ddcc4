"""Reporting: Allure labels and categories, certification-profile readiness, the Allure 3 HTML render."""
