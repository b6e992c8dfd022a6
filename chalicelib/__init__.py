"""Nhacno: accounts receivable and payment reminders for Vietnamese businesses."""
