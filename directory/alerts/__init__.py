"""« Nouveau près de chez moi » : e-mail alerts for new or reopened listings nearby."""
