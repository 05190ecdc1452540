DATABASE_URL=sqlite:///dev.db
