"""What the knowledge base says: incidents by service and factor, trends, figures."""
