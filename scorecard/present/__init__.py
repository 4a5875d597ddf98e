"""For people to read: views and frames for pages, the text report, spreadsheets, the e-mail, the weekly pack and the charts."""
